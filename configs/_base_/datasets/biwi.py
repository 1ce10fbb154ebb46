# BIWI Kinect head pose database (test only), img2pose's protocol: per frame, among the
# detections with score > 0.9 the one whose box centre is closest to the image centre is
# compared with the gt angles (Hopenet's conversion of frame_<n>_pose.txt); frames without
# such a detection are counted as `missed` and left out of the MAE.
# Layout: data/BIWI/hpdb/<subject 01..24>/frame_<n>_rgb.png + frame_<n>_pose.txt.
dataset_type = 'BIWIDataset'
data_root = 'data/BIWI/hpdb/'
backend_args = None

# short side 400, long side at most 1400 (set to match the original evaluation's
# MIN_SIZE / MAX_SIZE; override to evaluate at other sizes)
test_scale = (1400, 400)

test_pipeline = [
    dict(type='LoadPoseImage', backend_args=backend_args),
    dict(type='PoseResize', scale=test_scale, keep_ratio=True),
    # gt_euler reaches HeadPoseMetric through the metainfo (BIWI has no face boxes)
    dict(type='PackPoseDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
                    'flip_direction', 'pad_shape', 'gt_euler')),
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
        subjects=None,  # all 24; e.g. [1, 2] for a subset
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
val_dataloader = test_dataloader

test_evaluator = dict(type='HeadPoseMetric', selection='center', score_thr=0.9, prefix='biwi')
val_evaluator = test_evaluator
