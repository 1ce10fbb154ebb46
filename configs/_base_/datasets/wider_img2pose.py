# WIDER FACE with the img2pose annotations (JSON): one JSON per image, listed in
# data/wider_face/annotations/WIDER_{train,val}_annotations.txt (paths relative to that
# folder), images under data/wider_face/WIDER_{train,val}/images/.
# Pose labels are recomputed by EPnP from the landmarks after every geometric augmentation;
# the training targets are the boxes projected from those poses.
dataset_type = 'Img2PoseDataset'
data_root = 'data/wider_face/'
backend_args = None

# 3D references of the pose labels (named apart from the model config's `reference68` /
# `reference5`: mmengine refuses a key defined by two bases).
label_reference68 = 'pose_references/ref68.npy'
label_reference5 = 'pose_references/ref5.npy'

# short side 640..800 in steps of 32, long side at most 1400
train_scales = [(1400, short) for short in range(640, 801, 32)]
test_scale = (1400, 800)

train_pipeline = [
    dict(type='LoadPoseImage', backend_args=backend_args),
    dict(type='LoadPoseAnnotations', with_bbox=True, with_landmarks=True),
    dict(type='RandomPoseCrop', min_scale=0.7, max_scale=1.0, max_tries=10),
    dict(type='RandomPoseFlip', prob=0.5),
    dict(type='PhotometricNoise', prob=0.5),
    dict(type='RandomChoiceResize', scales=train_scales, keep_ratio=True,
         resize_type='PoseResize'),
    dict(type='PoseLabelsFromLandmarks', reference68=label_reference68,
         reference5=label_reference5),
    dict(type='BoxesFromPoses', reference68=label_reference68, x_factor=1.1, y_factor=1.1,
         forehead=0.3),
    dict(type='PackPoseDetInputs'),
]
# Annotations are loaded after the resize and stay in the original image's frame (as in
# mmdet): their pose labels use `ori_shape`, and faces without a label are kept (NaN pose).
test_pipeline = [
    dict(type='LoadPoseImage', backend_args=backend_args),
    dict(type='PoseResize', scale=test_scale, keep_ratio=True),
    dict(type='LoadPoseAnnotations', with_bbox=True, with_landmarks=True),
    dict(type='PoseLabelsFromLandmarks', reference68=label_reference68,
         reference5=label_reference5, test_mode=True, image_shape_key='ori_shape'),
    dict(type='PackPoseDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
                    'flip_direction', 'pad_shape')),
]

train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/WIDER_train_annotations.txt',
        data_prefix=dict(img='WIDER_train/images/'),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/WIDER_val_annotations.txt',
        data_prefix=dict(img='WIDER_val/images/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
