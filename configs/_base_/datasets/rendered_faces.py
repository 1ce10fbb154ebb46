# The bundled rendered faces (tools/dataset_converters/render_faces.py), sized for CPU runs.
# Layout: data/rendered/<split>/images/<name>.jpg; list files
# data/rendered/annotations/<split>_annotations.txt list `<split>/<name>.json` (relative to
# data/rendered/annotations/); each JSON's `image_path` is relative to
# data/rendered/<split>/images/. Splits: train, val (the same distribution), other (drawn
# differently: other photographs, sizes and poses), the test split, and shifted (drawn further
# away: 544-pixel images of other shapes, 70-220 px faces, stronger pitch and yaw than
# training's, colour-wheel and `other` photograph backgrounds, dark coloured light; see
# SHIFTED in tools/dataset_converters/render_faces.py), tested on by tools/quickstart.sh with
#   --cfg-options test_dataloader.dataset.ann_file=annotations/shifted_annotations.txt
#   test_dataloader.dataset.data_prefix.img=shifted/images/
#   test_evaluator.gt_poses_file=data/rendered/annotations/shifted_render_poses.json
# Neither held-out split is ever trained or validated on.
_base_ = './img2pose_faces.py'

data_root = 'data/rendered/'

# The face model of this data: the rendered scan is its only face, so its own 3D points
# (written by the renderer) label it exactly. A config on this data gives it to the model and
# the metric too (r18_fpn_rendered_cpu.py).
face_model = dict(reference68=data_root + 'scan_ref68.npy',
                  reference5=data_root + 'scan_ref5.npy')

# CPU scales for 512-pixel renders: short side 288..352 in steps of 32, long side at most 448
# (0.79x the pixels of short side 320..384, long side 512: a cheaper train step)
train_scales = [(448, short) for short in range(288, 353, 32)]
test_scale = (448, 352)
# The renders are taken by the image camera (f = w + h) that img2pose assumes, so the pose
# labels are solved in it: exact, where img2pose's own labelling (each face in its box's
# camera, then moved into the image) is about 7 degrees off them
# (tools/analysis_tools/label_error.py)
solve_in = 'image'

# No random crop (the WIDER recipe's first augmentation): a crop through these images' 6-14
# faces cuts about one face per image, whose pixels RandomPoseCrop then blanks; trained
# without it, the quick-start's model has about 1.2 degrees less mean pose error on renders
# drawn differently (docs/results.md)
train_pipeline = [
    _base_.load_image, _base_.load_annotations, _base_.random_flip, _base_.photometric_noise,
    dict(_base_.train_resize, scales=train_scales),
    dict(_base_.train_labels, face_model=face_model, solve_in=solve_in),
    dict(_base_.train_boxes, face_model=face_model), _base_.pack
]
test_pipeline = [
    _base_.load_image, dict(_base_.test_resize, scale=test_scale), _base_.load_annotations,
    dict(_base_.test_labels, face_model=face_model, solve_in=solve_in), _base_.pack
]

train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/train_annotations.txt',
        data_prefix=dict(img='train/images/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/val_annotations.txt',
        data_prefix=dict(img='val/images/'),
        pipeline=test_pipeline))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], ann_file='annotations/other_annotations.txt',
                 data_prefix=dict(img='other/images/')))
