# --tta (tools/test.py): img2pose's WIDER FACE multi-scale + flip test. Every short side of
# `tta_scales`, each resized from the original image the original's way (Img2PoseScaleResize),
# first unflipped, then flipped; each pass's boxes are truncated to integers and mirrored
# back, all are pooled in pass order and merged by box voting at IoU 0.6, every voted box
# kept (max_per_img=None), as the original's evaluation/evaluate_wider.py. The poses of each
# voted face are un-flipped and averaged (beyond the original).
# Other scales: --cfg-options "tta_pipeline.1.scales=[500,800,1100]".
tta_scales = [200, 300, 500, 800, 1100, 1400, 1700]
tta_model = dict(type='Img2PoseTTAModel', tta_cfg=dict(iou_thr=0.6, max_per_img=None))

tta_pipeline = [
    dict(type='LoadPoseImage'),
    dict(
        type='Img2PoseTestTimeAug',
        scales=tta_scales,
        flip=True,
        transforms=[
            dict(type='LoadPoseAnnotations', with_bbox=True, with_landmarks=True),
            dict(type='PackPoseDetInputs'),
        ])
]
