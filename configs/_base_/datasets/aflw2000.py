# AFLW2000-3D head-pose benchmark (test only), the protocol of img2pose's evaluation notebook
# (evaluation/jupyter_notebooks/aflw_2000_3d_evaluation.ipynb):
# - every image of the folder (or of `ann_file`: the notebook's AFLW2000_annotations.txt is
#   read as published); those whose Pose_Para angles exceed 99 degrees are skipped (1969 of
#   the 2000 official images remain);
# - the image is resized as the original model resizes it (short side 400, long side at most
#   1400, torchvision's float bilinear resampling: TorchvisionResize);
# - targets: Pose_Para's angles; the translation of the EPnP pose of the 68 points solved in
#   the image camera (f = w + h, centre (w // 2, h // 2)) with the face model's 68-point
#   reference (the default face model, the model's); the target box is the 68 points' box
#   by the face model's rule (scaled 1.1 x 1.1 and grown by 0.3 on the forehead side that
#   pose's rotation-vector z picks);
# - per image, among the detections with score > 0, the one with the highest IoU (+1 pixel
#   areas) with the target box, strictly above 0, is compared: pitch/yaw/roll MAE and their
#   mean, and h_trans/v_trans/scale, the MAE of the translation as predicted (network input
#   camera, as the original's) against the PnP one; no angle wrapping.
# Quirks reproduced, and their switches (--cfg-options):
#   test_dataloader.dataset.max_angle=None         keep the images beyond 99 degrees
#   test_dataloader.dataset.target_box=extent      match against the 68 points' plain extent
#   test_evaluator.fallback=None                   when no detection overlaps the target box
#                                                  the notebook uses the LAST detection; None
#                                                  leaves the image out (counted as missed)
#   test_evaluator.iou_plus_one=False              continuous IoU instead of +1 pixel areas
#   test_evaluator.wrap_angles=True                differences wrapped into [-180, 180)
# Images without any detection are failures: counted (aflw2000/failures) and left out.
# test_evaluator.out_file=PATH.json writes each image's chosen prediction and target.
# Layout: data/AFLW2000/imageXXXXX.jpg + imageXXXXX.mat (the official AFLW2000-3D zip).
_base_ = './head_pose_benchmark.py'

data_root = 'data/AFLW2000/'
test_scale = (1400, 400)

test_pipeline = [
    _base_.load_image,
    dict(_scope_='mmpose6d', type='TorchvisionResize', scale=test_scale, in_model=True),
    # after the resize: gt boxes / landmarks stay in the original image (for visualisation)
    dict(_scope_='mmpose6d', type='LoadPoseAnnotations', with_bbox=True, with_landmarks=True),
    # the targets reach HeadPoseMetric through the metainfo
    dict(_scope_='mmpose6d', type='PackPoseDetInputs',
         extra_meta_keys=('gt_euler', 'gt_bbox', 'gt_translation')),
]

test_dataloader = dict(
    dataset=dict(type='AFLW2000Dataset', data_root=data_root, ann_file='', max_angle=99.0,
                 target_box='expanded', pipeline=test_pipeline))
val_dataloader = test_dataloader

test_evaluator = dict(type='HeadPoseMetric', selection='iou', score_thr=0.0, fallback='last',
                      min_iou=0.0, iou_plus_one=True, with_translation=True, wrap_angles=False,
                      prefix='aflw2000')
val_evaluator = test_evaluator
