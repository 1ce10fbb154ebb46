# A CPU-sized img2pose on the bundled rendered faces (tools/quickstart.sh makes the data).
# The rendered scan is the only face in this world, so its own 3D points are the face model
# (`face_model`, of the dataset base) of the labels, the boxes, the model and the metric: the
# pose error measured against the exact render poses is the model's alone.
_base_ = [
    '../_base_/models/img2pose_r18_fpn.py', '../_base_/datasets/rendered_faces.py',
    '../_base_/default_runtime.py', '../_base_/img2pose_tta.py'
]

data_root = 'data/rendered/'

# CPU widths: ResNet-18 at half width (32..256 channels), FPN and RPN at 48, RoI MLPs 512
# (face score) and 1024 (pose) wide. The 3x3 convolutions on the stride-4 level (FPN
# output, RPN) are the costliest of the train step; 48 channels instead of 64 make it 0.93x
# (PyTorch's AVX2 kernels)
channels = 48
model = dict(
    # oneDNN's channels-last convolutions where PyTorch uses AVX-512: the same model, there
    # faster in training and inference; with AVX2 only it slows the train step (1.19x)
    channels_last='auto',
    # no pretrained weights offline: train the whole backbone, BN included
    backbone=dict(base_channels=32, frozen_stages=-1,
                  norm_cfg=dict(type='BN', eps=1e-5, requires_grad=True), norm_eval=False),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=channels),
    rpn_head=dict(in_channels=channels, feat_channels=channels),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=channels),
        bbox_head=dict(in_channels=channels, fc_out_channels=512),
        pose_head=dict(
            in_channels=channels,
            # twice the score branch's width: the pose branch underfits in 1000 iterations,
            # and the wider one holds better on strong poses (docs/results.md)
            fc_out_channels=1024,
            # compute_pose_stats.py --roi-targets on the train split: the statistics of
            # the local poses the head regresses (jittered positive RoIs around the
            # projected boxes), not of the annotated silhouette boxes
            pose_coder=dict(pose_mean=data_root + 'pose_mean.npy',
                            pose_stddev=data_root + 'pose_stddev.npy'),
            face_model=_base_.face_model)),
    # fewer proposals than the WIDER recipe (training 6000 / 2000 -> 500 / 500 per image,
    # test 6000 / 1000 -> 1000 / 300): small CPU images. 192 RoIs per image, a third of them
    # positive: the pose branch gets as many positive RoIs (64) as 256 at 25 % gave it, the
    # face score twice the negatives of 128 at 50 %: fewer false detections on cluttered
    # photographs and a lower pose error on `shifted`-like renders (docs/results.md)
    train_cfg=dict(rpn_proposal=dict(nms_pre=500, max_per_img=500),
                   rcnn=dict(sampler=dict(num=192, pos_fraction=1 / 3))),
    # the pose branch re-run twice on the boxes its poses project to (PoseRoIHead's
    # pose_refine_steps): better centred RoIs; on a trial model of this recipe mean MAE
    # 11.6 -> 9.9 on `shifted`; a third step does not add to it (docs/results.md)
    test_cfg=dict(rpn=dict(nms_pre=1000, max_per_img=300), rcnn=dict(pose_refine_steps=2)))

# iteration-based: an endless sampler (no restart warning at every epoch end)
train_dataloader = dict(batch_size=2, num_workers=1,
                        sampler=dict(type='InfiniteSampler', shuffle=True))
val_dataloader = dict(num_workers=1)
test_dataloader = dict(num_workers=1)

# AP at IoU 0.5 and pose errors against the exact render poses: val during training,
# the differently drawn `other` split in tools/test.py (tools/quickstart.sh tests on the
# `shifted` split too, by --cfg-options: see the dataset base)
val_evaluator = dict(type='FacePoseMetric', face_model=_base_.face_model,
                     gt_poses_file=data_root + 'annotations/val_render_poses.json')
test_evaluator = dict(val_evaluator,
                      gt_poses_file=data_root + 'annotations/other_render_poses.json')

# iteration-based, validated along the way for the learning curve: 1000 iterations is the
# quick-start's run; AdamW 1e-3 learns fastest from scratch, and the step to 1e-4 at 80 %
# gives more than a cosine decay
max_iters = 1000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters // 4)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# training forward passes in bfloat16 where the CPU computes it natively (AVX512-BF16, AMX;
# float32 elsewhere): a 0.7x train step on such a CPU; the pose losses stay float32
optim_wrapper = dict(
    type='BFloat16OptimWrapper',
    enabled='auto',
    # PyTorch's fused AdamW: one kernel over all parameters, half the optimizer step
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4, fused=True),
    clip_grad=dict(max_norm=10, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=False, milestones=[int(max_iters * 0.8)], gamma=0.1)
]
default_hooks = dict(
    # metrics by iteration: tools/analysis_tools/learning_curve.py places them
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=max_iters // 2, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
# --auto-scale-lr scales the learning rate from this total batch (1 process x 2 images)
auto_scale_lr = dict(enable=False, base_batch_size=2)
# torchrun on CPU (tools/dist_train.sh CONFIG 2) talks gloo
env_cfg = dict(dist_cfg=dict(backend='gloo'))

# an exponential moving average of the weights (1 % of the new weights per iteration) is
# what validation, the checkpoints' `state_dict` and so tools/test.py and the demos use
custom_hooks = [
    dict(type='EMAHook', ema_type='ExponentialMovingAverage', momentum=0.01,
         update_buffers=True, priority=49)
]

tta_model = dict(type='Img2PoseTTAModel', tta_cfg=dict(iou_thr=0.6, max_per_img=100))
tta_scales = [288, 352]
tta_pipeline = [_base_.tta_pipeline[0], dict(_base_.tta_pipeline[1], scales=tta_scales)]
