# img2pose: ResNet-18 + FPN, RPN, and a RoI head predicting a face score and a 6DoF pose.
#
# Anchors. The original builds torchvision's AnchorGenerator with one size per feature map,
# sizes (16, 32, 64, 128, 256, 512), ratios (0.5, 1, 2) on every map. torchvision pairs the
# i-th size with the i-th feature map, so the six sizes sit on six FPN levels with strides
# 4..128, each anchor 4x its stride. mmdet's equivalent: FPN with num_outs=6 (P6 and P7 by
# stride-2 max pooling, as torchvision's LastLevelMaxPool) and AnchorGenerator(strides=
# [4, 8, 16, 32, 64, 128], scales=[4], ratios=[0.5, 1, 2]); both use ratio = h / w with
# h = size * sqrt(ratio) and anchors centred on the stride grid (center_offset=0).
# RoIs: torchvision's MultiScaleRoIAlign (7x7, sampling_ratio=2, aligned=False) on P2..P5,
# whose level rule floor(4 + log2(sqrt(area) / 224)) equals mmdet's finest_scale=56 rule.
# OpsRoIExtractor is mmdet's SingleRoIExtractor with mmpose6d.ops.RoIAlign: mmcv's numbers,
# on a multi-threaded CPU kernel (mmcv's single-threaded one costs a third of a CPU step).
# Box deltas: torchvision's BoxCoder weights (1, 1, 1, 1) = mmdet stds (1, 1, 1, 1).
# pose_mean / pose_stddev: the statistics of the training set's local poses, written by
# tools/dataset_converters/img2pose_to_lmdb.py --train or compute_pose_stats.py; each
# top-level config names its own files.
reference68 = 'pose_references/ref68.npy'
reference5 = 'pose_references/ref5.npy'

model = dict(
    type='Img2Pose',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        init_cfg=None),
    neck=dict(
        type='FPN',
        in_channels=[64, 128, 256, 512],
        out_channels=256,
        num_outs=6),
    rpn_head=dict(
        type='RPNHead',
        in_channels=256,
        feat_channels=256,
        anchor_generator=dict(
            type='AnchorGenerator',
            scales=[4],
            ratios=[0.5, 1.0, 2.0],
            strides=[4, 8, 16, 32, 64, 128]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[0.0, 0.0, 0.0, 0.0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)),
    roi_head=dict(
        type='PoseRoIHead',
        bbox_roi_extractor=dict(
            type='OpsRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=2, aligned=False),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(
            type='PoseBBoxHead',
            in_channels=256,
            fc_out_channels=1024,
            roi_feat_size=7,
            num_classes=1,
            pose_mean=None,
            pose_stddev=None,
            reference68=reference68,
            reference5=reference5,
            bbox_x_factor=1.1,
            bbox_y_factor=1.1,
            expand_forehead=0.3,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_dof_weight=1.0,
            loss_points_weight=1.0)),
    train_cfg=dict(
        rpn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.7,
                neg_iou_thr=0.3,
                min_pos_iou=0.3,
                match_low_quality=True,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=256,
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        rpn_proposal=dict(
            nms_pre=2000,
            max_per_img=2000,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.5,
                min_pos_iou=0.5,
                match_low_quality=False,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=512,
                pos_fraction=0.25,
                neg_pos_ub=-1,
                add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        # the original keeps 6000 proposals per level before NMS and 1000 after
        rpn=dict(
            nms_pre=6000,
            max_per_img=1000,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            score_thr=0.05,
            nms=dict(type='nms', iou_threshold=0.5),
            max_per_img=100)))
