# WIDER FACE with the img2pose annotations (JSON): one JSON per image, listed in
# data/wider_face/annotations/WIDER_{train,val}_annotations.txt (paths relative to that
# folder), images under data/wider_face/WIDER_{train,val}/images/.
_base_ = './img2pose_faces.py'

data_root = 'data/wider_face/'

# short side 640..800 in steps of 32, long side at most 1400
train_scales = [(1400, short) for short in range(640, 801, 32)]
test_scale = (1400, 800)

# labelled with the default face model (the model's)
train_pipeline = [
    _base_.load_image, _base_.load_annotations, *_base_.train_augment,
    dict(_base_.train_resize, scales=train_scales), _base_.train_labels, _base_.train_boxes,
    _base_.pack
]
# testing resizes as the original model's own transform does (TorchvisionResize: its size
# rounding; in_model: the float bilinear resampling after the normalisation, by the model's
# Img2PoseDataPreprocessor), so a converted checkpoint gives its detections
test_pipeline = [
    _base_.load_image,
    dict(_scope_='mmpose6d', type='TorchvisionResize', scale=test_scale, in_model=True),
    _base_.load_annotations, _base_.test_labels, _base_.pack
]

train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/WIDER_train_annotations.txt',
        data_prefix=dict(img='WIDER_train/images/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/WIDER_val_annotations.txt',
        data_prefix=dict(img='WIDER_val/images/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
