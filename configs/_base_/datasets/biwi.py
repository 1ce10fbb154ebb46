# BIWI Kinect head pose database (test only), the protocol of img2pose's evaluation notebook
# (evaluation/jupyter_notebooks/biwi_evaluation.ipynb):
# - every frame of `ann_file` in its order (the notebook's BIWI_annotations.txt, 13,219
#   frames, is read as published: its `../../datasets/BIWI/<subject>/frame_<n>_rgb.png a b c`
#   lines name the frame under data_root, the numbers are unused); without it every frame of
#   the database (15,678);
# - the image is resized as the original model resizes it (short side 700, long side at most
#   1400, torchvision's float bilinear resampling: TorchvisionResize);
# - target angles: the pose file's matrix through the notebook's conversion (transpose,
#   scipy 'xyz' Euler angles a0, a1, a2 -> pitch, yaw, roll = a0, -a1, -a2);
# - per frame, among the detections with score > 0.9, the one whose box centre
#   (x1 + (x2 - x1) // 2, y1 + (y2 - y1) // 2) is nearest to the image centre (w // 2, h // 2),
#   the first on ties, is compared: pitch/yaw/roll MAE and their mean; no angle wrapping.
# Quirks reproduced, and their switches (--cfg-options):
#   test_evaluator.fallback=None                   when no detection passes 0.9 the notebook
#                                                  uses the FIRST (highest-scoring) one; None
#                                                  leaves the frame out (counted as missed)
#   test_evaluator.wrap_angles=True                differences wrapped into [-180, 180)
# Frames without any detection are failures: counted (biwi/failures) and left out.
# test_evaluator.out_file=PATH.json writes each frame's chosen prediction and target.
# Layout: data/BIWI/hpdb/<subject 01..24>/frame_<n>_rgb.png + frame_<n>_pose.txt.
_base_ = './head_pose_benchmark.py'

data_root = 'data/BIWI/hpdb/'
test_scale = (1400, 700)

test_pipeline = [
    _base_.load_image,
    dict(_scope_='mmpose6d', type='TorchvisionResize', scale=test_scale, in_model=True),
    # gt_euler reaches HeadPoseMetric through the metainfo (BIWI has no face boxes)
    dict(_scope_='mmpose6d', type='PackPoseDetInputs', extra_meta_keys=('gt_euler', )),
]

test_dataloader = dict(
    dataset=dict(
        type='BIWIDataset',
        data_root=data_root,
        ann_file='',
        subjects=None,  # all 24; e.g. [1, 2] for a subset
        pipeline=test_pipeline))
val_dataloader = test_dataloader

test_evaluator = dict(type='HeadPoseMetric', selection='center', score_thr=0.9,
                      fallback='first', wrap_angles=False, prefix='biwi')
val_evaluator = test_evaluator
