# BIWI Kinect head pose database (test only), img2pose's protocol: per frame, among the
# detections with score > 0.9 the one whose box centre is closest to the image centre is
# compared with the gt angles (Hopenet's conversion of frame_<n>_pose.txt); frames without
# such a detection are counted as `missed` and left out of the MAE.
# Layout: data/BIWI/hpdb/<subject 01..24>/frame_<n>_rgb.png + frame_<n>_pose.txt.
_base_ = './head_pose_benchmark.py'

data_root = 'data/BIWI/hpdb/'

test_pipeline = [
    _base_.load_image, _base_.test_resize,
    # gt_euler reaches HeadPoseMetric through the metainfo (BIWI has no face boxes)
    dict(type='PackPoseDetInputs', extra_meta_keys=('gt_euler', )),
]

test_dataloader = dict(
    dataset=dict(
        type='BIWIDataset',
        data_root=data_root,
        subjects=None,  # all 24; e.g. [1, 2] for a subset
        pipeline=test_pipeline))
val_dataloader = test_dataloader

test_evaluator = dict(type='HeadPoseMetric', selection='center', score_thr=0.9, prefix='biwi')
val_evaluator = test_evaluator
