# ResNet-50 backbone: the only change from the ResNet-18 recipe.
_base_ = ['./r18_fpn_wider.py']

model = dict(
    backbone=dict(
        depth=50,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(in_channels=[256, 512, 1024, 2048]))
