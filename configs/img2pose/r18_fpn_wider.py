# img2pose ResNet-18 FPN on WIDER FACE (img2pose annotations), the original recipe.
_base_ = [
    '../_base_/models/img2pose_r18_fpn.py', '../_base_/datasets/wider_img2pose.py',
    '../_base_/schedules/img2pose_plateau.py', '../_base_/default_runtime.py',
    '../_base_/img2pose_tta.py'
]

data_root = 'data/wider_face/'

model = dict(
    # the validation loss the schedule watches, in train mode as the original computes it
    # (the pose branch's BatchNorm uses batch statistics; train_mode=False turns that off)
    val_loss=dict(train_mode=True),
    # ImageNet-pretrained ResNet-18, as the original: torchvision:// needs torchvision (and
    # its download cache); give a local file or None with --cfg-options to change it
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    # written by tools/dataset_converters/img2pose_to_lmdb.py --train (beside the LMDB) or
    # compute_pose_stats.py, from the training faces' local PnP poses
    roi_head=dict(pose_head=dict(pose_coder=dict(pose_mean=data_root + 'pose_mean.npy',
                                                 pose_stddev=data_root + 'pose_stddev.npy'))))

# 2 images per GPU (batch_size in the dataset base); multi-scale training (short side
# 640..800, long side <= 1400), random crop and flip are in the dataset base's pipeline.
# SGD lr 1e-3 / momentum 0.9 / weight decay 5e-4, gradient clipping at 10, LR x0.1 on a
# plateau of the validation loss (min lr 1e-5), early stopping and the best checkpoint on
# it are in the schedule base; validation runs every epoch and logs the WIDER AP beside.
# the checkpoint kept as best: the lowest validation loss (the schedule's monitor)
default_hooks = dict(checkpoint=dict(save_best='val_loss', rule='less'))
val_evaluator = dict(type='WiderFaceMetric', gt_dir=data_root + 'ground_truth/')
test_evaluator = val_evaluator
