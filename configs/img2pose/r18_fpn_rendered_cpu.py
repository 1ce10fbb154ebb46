# A CPU-sized img2pose on the bundled rendered faces (tools/quickstart.sh makes the data).
# The rendered scan is the only face in this world, so its own 3D points are the reference
# of the labels (the dataset base), the boxes, the model and the metric: the pose error
# measured against the exact render poses is the model's alone.
_base_ = [
    '../_base_/models/img2pose_r18_fpn.py', '../_base_/datasets/rendered_faces.py',
    '../_base_/default_runtime.py', '../_base_/img2pose_tta.py'
]

data_root = 'data/rendered/'
scan_reference68 = data_root + 'scan_ref68.npy'
scan_reference5 = data_root + 'scan_ref5.npy'

model = dict(
    # no pretrained weights offline: train the whole backbone, BN included
    backbone=dict(frozen_stages=-1, norm_cfg=dict(type='BN', eps=1e-5, requires_grad=True),
                  norm_eval=False),
    roi_head=dict(
        pose_head=dict(
            # tools/dataset_converters/compute_pose_stats.py on the train split
            pose_mean=data_root + 'pose_mean.npy',
            pose_stddev=data_root + 'pose_stddev.npy',
            reference68=scan_reference68,
            reference5=scan_reference5)),
    # fewer proposals than the WIDER recipe (2000 / 6000 -> 1000 / 300): small CPU images
    train_cfg=dict(rpn_proposal=dict(nms_pre=1000, max_per_img=1000),
                   rcnn=dict(sampler=dict(num=256))),
    test_cfg=dict(rpn=dict(nms_pre=1000, max_per_img=300)))

train_dataloader = dict(batch_size=2, num_workers=1)
val_dataloader = dict(num_workers=1)
test_dataloader = val_dataloader

# AP at IoU 0.5 and pose errors against the exact render poses of the val split
val_evaluator = dict(type='FacePoseMetric', reference68=scan_reference68,
                     gt_poses_file=data_root + 'annotations/val_render_poses.json')
test_evaluator = val_evaluator

# iteration-based, validated along the way for the learning curve
max_iters = 600
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=200)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=10, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=False, milestones=[int(max_iters * 0.8)], gamma=0.1)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(by_epoch=False, interval=200, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
# torchrun on CPU (tools/dist_train.sh CONFIG 2) talks gloo
env_cfg = dict(dist_cfg=dict(backend='gloo'))

tta_model = dict(type='Img2PoseTTAModel', tta_cfg=dict(iou_thr=0.6, max_per_img=100))
tta_scales = [320, 416]
tta_pipeline = [
    dict(type='LoadPoseImage'),
    dict(type='mmdet.TestTimeAug',
         transforms=[[dict(_base_.tta_resize, scale=(100000, s)) for s in tta_scales],
                     *_base_.tta_flip_and_pack])
]
