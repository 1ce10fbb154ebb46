# AFLW2000-3D head-pose benchmark (test only), img2pose's protocol: images whose gt angles
# exceed 99 degrees are skipped by the dataset (1969 of the 2000 official images remain);
# per image the prediction with the highest IoU against the extent of the 68 gt points is
# compared with Pose_Para's angles; MAE of yaw, pitch, roll and their mean.
# Layout: data/AFLW2000/imageXXXXX.jpg + imageXXXXX.mat (the official AFLW2000-3D zip).
_base_ = './head_pose_benchmark.py'

data_root = 'data/AFLW2000/'

test_pipeline = [
    _base_.load_image, _base_.test_resize,
    # after the resize: gt boxes / landmarks stay in the original image (for visualisation)
    dict(type='LoadPoseAnnotations', with_bbox=True, with_landmarks=True),
    # gt_euler / gt_bbox reach HeadPoseMetric through the metainfo
    dict(type='PackPoseDetInputs', extra_meta_keys=('gt_euler', 'gt_bbox')),
]

test_dataloader = dict(
    dataset=dict(type='AFLW2000Dataset', data_root=data_root, max_angle=99.0,
                 pipeline=test_pipeline))
val_dataloader = test_dataloader

test_evaluator = dict(type='HeadPoseMetric', selection='iou', prefix='aflw2000')
val_evaluator = test_evaluator
