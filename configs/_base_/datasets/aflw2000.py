# AFLW2000-3D head-pose benchmark (test only), img2pose's protocol: images whose gt angles
# exceed 99 degrees are skipped by the dataset (1969 of the 2000 official images remain);
# per image the prediction with the highest IoU against the extent of the 68 gt points is
# compared with Pose_Para's angles; MAE of yaw, pitch, roll and their mean.
# Layout: data/AFLW2000/imageXXXXX.jpg + imageXXXXX.mat (the official AFLW2000-3D zip).
dataset_type = 'AFLW2000Dataset'
data_root = 'data/AFLW2000/'
backend_args = None

# short side 400, long side at most 1400 (set to match the original evaluation's
# MIN_SIZE / MAX_SIZE; override to evaluate at other sizes). Predictions are rescaled to
# the original image, where the gt box and angles live.
test_scale = (1400, 400)

test_pipeline = [
    dict(type='LoadPoseImage', backend_args=backend_args),
    dict(type='PoseResize', scale=test_scale, keep_ratio=True),
    # after the resize: gt boxes / landmarks stay in the original image (for visualisation)
    dict(type='LoadPoseAnnotations', with_bbox=True, with_landmarks=True),
    # gt_euler / gt_bbox reach HeadPoseMetric through the metainfo
    dict(type='PackPoseDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
                    'flip_direction', 'pad_shape', 'gt_euler', 'gt_bbox')),
]

test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img=''),
        max_angle=99.0,
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
val_dataloader = test_dataloader

test_evaluator = dict(type='HeadPoseMetric', selection='iou', prefix='aflw2000')
val_evaluator = test_evaluator
