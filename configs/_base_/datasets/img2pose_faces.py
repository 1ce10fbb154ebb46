# The steps and loaders of the img2pose JSON face datasets, shared by wider_img2pose.py and
# rendered_faces.py: each composes its pipelines from these steps with its own scales (and
# face model), and names its files, batch sizes and workers.
# Pose labels are recomputed by EPnP from the landmarks after every geometric augmentation;
# the training targets are the boxes projected from those poses. Both use the face model
# (FaceModel's defaults, the model's, unless a dataset base sets `face_model`).
backend_args = None
# `_scope_`: the datasets and test steps are built in the mmpose6d scope also by mmdet's
# DetInferencer, which builds them one by one under the 'mmdet' scope; `LoadImageFromFile` is
# mmpose6d's LoadPoseImage in that scope, the loading step DetInferencer looks for

load_image = dict(_scope_='mmpose6d', type='LoadImageFromFile', backend_args=backend_args)
load_annotations = dict(_scope_='mmpose6d', type='LoadPoseAnnotations', with_bbox=True,
                        with_landmarks=True)
random_crop = dict(type='RandomPoseCrop', min_scale=0.7, max_scale=1.0, max_tries=10)
random_flip = dict(type='RandomPoseFlip', prob=0.5)
photometric_noise = dict(type='PhotometricNoise', prob=0.5)
train_augment = [random_crop, random_flip, photometric_noise]
train_resize = dict(type='mmdet.RandomChoiceResize', keep_ratio=True, resize_type='PoseResize')
train_labels = dict(type='PoseLabelsFromLandmarks')
train_boxes = dict(type='BoxesFromPoses')
pack = dict(_scope_='mmpose6d', type='PackPoseDetInputs')
# Annotations are loaded after the resize and stay in the original image's frame (as in
# mmdet): their pose labels use `ori_shape`, and faces without a label are kept (NaN pose).
test_resize = dict(_scope_='mmpose6d', type='PoseResize', keep_ratio=True)
test_labels = dict(_scope_='mmpose6d', type='PoseLabelsFromLandmarks', test_mode=True,
                   image_shape_key='ori_shape')

train_dataloader = dict(
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        _scope_='mmpose6d',
        type='Img2PoseDataset',
        filter_cfg=dict(filter_empty_gt=True),
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_scope_='mmpose6d', type='Img2PoseDataset', test_mode=True,
                 backend_args=backend_args))
test_dataloader = val_dataloader
