# --tta (tools/test.py): every short side of `tta_scales` (long side free), each with and
# without flip, merged by box voting at IoU 0.6 (poses un-flipped and averaged per voted
# face). A config with other scales builds its `tta_pipeline` from `tta_resize` and
# `tta_flip_and_pack`.
tta_scales = [200, 300, 500, 800, 1100, 1400, 1700]
tta_model = dict(type='Img2PoseTTAModel', tta_cfg=dict(iou_thr=0.6, max_per_img=1000))

tta_resize = dict(type='PoseResize', keep_ratio=True)
tta_flip_and_pack = [
    [dict(type='RandomPoseFlip', prob=prob) for prob in (0.0, 1.0)],
    [dict(type='LoadPoseAnnotations', with_bbox=True, with_landmarks=True)],
    [dict(type='PackPoseDetInputs')],
]
tta_pipeline = [
    dict(type='LoadPoseImage'),
    dict(
        type='mmdet.TestTimeAug',
        transforms=[[dict(tta_resize, scale=(100000, s)) for s in tta_scales],
                    *tta_flip_and_pack])
]
