# The bundled rendered faces (tools/dataset_converters/render_faces.py), sized for CPU runs.
# Layout: data/rendered/<split>/images/<name>.jpg; list files
# data/rendered/annotations/<split>_annotations.txt list `<split>/<name>.json` (relative to
# data/rendered/annotations/); each JSON's `image_path` is relative to
# data/rendered/<split>/images/. Splits: train, val.
dataset_type = 'Img2PoseDataset'
data_root = 'data/rendered/'
backend_args = None

# 3D references of the pose labels (named apart from the model config's `reference68` /
# `reference5`: mmengine refuses a key defined by two bases). The rendered scan is the only
# face of this data, so its own 3D points (written by the renderer) label it exactly.
label_reference68 = data_root + 'scan_ref68.npy'
label_reference5 = data_root + 'scan_ref5.npy'

# CPU scales: short side 320..416 in steps of 32, long side at most 640
train_scales = [(640, short) for short in range(320, 417, 32)]
test_scale = (640, 416)

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
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/train_annotations.txt',
        data_prefix=dict(img='train/images/'),
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
        ann_file='annotations/val_annotations.txt',
        data_prefix=dict(img='val/images/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
