# img2pose (the original FasterDoFRCNN): ResNet-18 + FPN, an RPN, and a RoI head with two
# branches on one RoIAlign, a face score (`bbox_head`) and a 6DoF pose (`pose_head`). Every
# setting below is the original's (docs/img2pose_parity.md has the mapping and what each
# one changes).
#
# Backbone: torchvision's FrozenBatchNorm2d had eps 0 when the published checkpoints were
# trained (torchvision 0.8); conv1, bn1 and layer1 are frozen (torchvision's 3 trainable
# layers). FPN: 5 outputs, the 5th by stride-2 max pooling (LastLevelMaxPool), torchvision's
# init (kaiming uniform, a=1).
# Anchors: one size per level, 16..256 (the original lists a 6th size, 512, that its
# zip with the 5 maps never uses), ratios h/w 0.5, 1, 2, rounded base anchors, strides from
# the padded batch (TorchvisionAnchorGenerator).
# RPN proposals: by raw objectness logit, 6000 per level, boxes >= 1e-3 px, NMS 0.4 per
# level, the best 2000 (training) / 1000 (test) across levels. Targets: IoU >= 0.5
# positive, < 0.3 negative, each face's best anchors positive (torchvision's Matcher);
# 256 anchors per image, half positive.
# RoIs: torchvision's MultiScaleRoIAlign (7x7, sampling_ratio 2, aligned=False, levels by
# its rule) on P2..P5; IoU >= 0.5 positive, 512 per image with 25 % positives, ground
# truths added. Heads keep PyTorch's default Linear init (init_cfg=[]), as the original.
# Inference: score > 0.05, proposals >= 0.01 px, box from pose, NMS 0.5, uncapped.
# Pose targets (LocalPoseCoder): the pose relative to each RoI box, normalised with
# pose_mean / pose_stddev, the statistics of the training set's local poses (written by
# tools/dataset_converters/img2pose_to_lmdb.py --train or compute_pose_stats.py); each
# top-level config names its own files.
# Face model (3D references, box rule): mmpose6d.geometry.FaceModel's defaults, the project's
# references and the original's box rule, as for the labels, the datasets and the metrics. A
# config with another face defines `face_model` (FaceModel's arguments) once and gives it to
# each of them: pose_head=dict(face_model=...) here (rendered_faces.py,
# r18_fpn_rendered_cpu.py).

model = dict(
    # built in the mmpose6d scope under any default scope (mmdet's DetInferencer sets 'mmdet')
    _scope_='mmpose6d',
    type='Img2Pose',
    # channels-last tensors where PyTorch's CPU kernels use AVX-512 (0.92x the train step
    # of the original's model on its golden batch, docs/results.md); NCHW elsewhere
    channels_last='auto',
    # the original's input transform: [0, 1] scaling, normalisation, then the resampling
    # of images that TorchvisionResize(in_model=True) sized, then padding
    data_preprocessor=dict(
        type='Img2PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='mmdet.ResNet',
        depth=18,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', eps=0.0, requires_grad=False),
        norm_eval=True,
        style='pytorch'),
    neck=dict(
        type='mmdet.FPN',
        in_channels=[64, 128, 256, 512],
        out_channels=256,
        num_outs=5,
        init_cfg=dict(type='Kaiming', layer='Conv2d', a=1, mode='fan_in',
                      nonlinearity='leaky_relu', distribution='uniform')),
    rpn_head=dict(
        type='Img2PoseRPNHead',
        in_channels=256,
        feat_channels=256,
        anchor_generator=dict(
            type='TorchvisionAnchorGenerator',
            scales=[4],
            ratios=[0.5, 1.0, 2.0],
            strides=[4, 8, 16, 32, 64]),
        bbox_coder=dict(
            type='mmdet.DeltaXYWHBBoxCoder',
            target_means=[0.0, 0.0, 0.0, 0.0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='mmdet.SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)),
    roi_head=dict(
        type='PoseRoIHead',
        bbox_roi_extractor=dict(
            type='OpsRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=2, aligned=False),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(
            type='mmdet.Shared2FCBBoxHead',
            in_channels=256,
            fc_out_channels=1024,
            roi_feat_size=7,
            num_classes=1,
            with_reg=False,
            loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False,
                          loss_weight=1.0),
            init_cfg=[]),
        pose_head=dict(
            type='PoseHead',
            in_channels=256,
            roi_feat_size=7,
            fc_out_channels=1024,
            pose_hidden_channels=256,
            num_classes=1,
            pose_coder=dict(type='LocalPoseCoder', pose_mean=None, pose_stddev=None),
            loss_dof=dict(type='mmdet.MSELoss', loss_weight=1.0),
            loss_points=dict(type='mmdet.L1Loss', loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(
            assigner=dict(
                type='MatcherAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.3,
                match_low_quality=True,
                ignore_iof_thr=-1),
            sampler=dict(
                type='mmdet.RandomSampler',
                num=256,
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        rpn_proposal=dict(
            nms_pre=6000,
            max_per_img=2000,
            nms=dict(type='nms', iou_threshold=0.4),
            min_bbox_size=1e-3),
        rcnn=dict(
            assigner=dict(
                type='mmdet.MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.5,
                min_pos_iou=0.5,
                match_low_quality=False,
                ignore_iof_thr=-1),
            sampler=dict(
                type='mmdet.RandomSampler',
                num=512,
                pos_fraction=0.25,
                neg_pos_ub=-1,
                add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        rpn=dict(
            nms_pre=6000,
            max_per_img=1000,
            nms=dict(type='nms', iou_threshold=0.4),
            min_bbox_size=1e-3),
        rcnn=dict(
            score_thr=0.05,
            min_bbox_size=1e-2,
            nms=dict(type='nms', iou_threshold=0.5),
            max_per_img=-1)))
