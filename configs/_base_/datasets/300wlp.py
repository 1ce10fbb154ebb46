# 300W-LP for img2pose's head-pose fine-tuning (training only; compose a test set beside it,
# e.g. aflw2000.py). Layout: data/300W_LP/<subset>/<name>.jpg + <name>.mat (Pose_Para) and
# data/300W_LP/landmarks/<subset>/<name>_pts.mat (pts_2d, the 68 points), as the 300W-LP
# archive unpacks. Face300WLPDataset labels each image's face once, at load time, as the
# original's 300W-LP loader: rotation from Pose_Para's angles, translation by EPnP of the 68
# landmarks in the image camera, the landmarks' box (x 1.1, y 1.1, forehead 0.3) and the
# local pose in it. The pipeline turns that local pose back into the global pose
# (PoseLabelsFromLocalPoses) and boxes its projected reference (BoxesFromPoses), as the
# original's LMDB loader. No augmentation (the recipe's); the resize is the original model's
# multi-scale input size, applied to every training image.
# A subset without landmark files is skipped image by image (ann/missing_file, each file
# named in the log): name the subsets that have them (train_dataloader.dataset.subsets) or
# read the image .mat's pt2d (train_dataloader.dataset.landmarks=pt2d).
# (Keys named apart from the head-pose benchmark bases': mmengine refuses a key defined by
# two bases.) The labels (EPnP, boxes) use the default face model, the model's.
w300lp_root = 'data/300W_LP/'
# the original's training sizes: short side 640..800 in steps of 32, long side at most 1400
train_scales = [(1400, short) for short in range(640, 801, 32)]

train_pipeline = [
    dict(type='LoadPoseImage'),
    dict(type='LoadPoseAnnotations', with_bbox=True, with_landmarks=True),
    dict(type='PoseLabelsFromLocalPoses'),
    dict(type='mmdet.RandomChoiceResize', scales=train_scales, keep_ratio=True,
         resize_type='PoseResize'),
    dict(type='BoxesFromPoses'),
    dict(type='PackPoseDetInputs'),
]

train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='Face300WLPDataset',
        data_root=w300lp_root,
        subsets=['AFW', 'AFW_Flip', 'HELEN', 'HELEN_Flip', 'IBUG', 'IBUG_Flip', 'LFPW',
                 'LFPW_Flip'],
        landmarks='pts_2d',
        pipeline=train_pipeline))
