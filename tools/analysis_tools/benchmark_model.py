"""Train-step and inference time of img2pose, stage by stage, and against mmdet's plain
Faster R-CNN R18-FPN.

First, where the time of img2pose as configured goes: the median time of each stage of an
inference and of an SGD train step (the model's own methods, timed where the model calls
them; "rest" is what no stage covers). With ``--checkpoint`` (e.g. a converted original
img2pose checkpoint) and ``--image``, on those weights and that image at its own size;
otherwise on random weights and a random image of ``--size``.

Then all models share backbone, neck, RPN and their weights and run in the same process, on
the same image and threads, so they see the same proposals. Without ``--checkpoint``, the
random face classifier scores every RoI about alike; its bias is set so that ``--keep`` of
this image's proposals pass the score threshold (a trained model keeps few: the pose branch
only runs on those; ``--keep 1`` is the worst case). Rows:
img2pose as configured (``mmpose6d.ops.RoIAlign``: ``sampling_ratio=2``, ``aligned=False``
as the original's torchvision RoIAlign, on mmpose6d's multi-threaded CPU kernel); img2pose
with mmcv's single-threaded RoIAlign kernel (same numbers, NCHW); Faster R-CNN with mmdet's default
RoI layer (mmcv, ``sampling_ratio=0``, ``aligned=True``); Faster R-CNN with img2pose's RoI
layer, so that its difference to img2pose in NCHW is the pose head and its post-processing
(mmdet's models run NCHW); img2pose in the other memory layout (``channels_last`` flipped:
the same model in NCHW or channels-last tensors).

    python tools/analysis_tools/benchmark_model.py configs/img2pose/r18_fpn_wider.py \
        --cfg-options model.roi_head.pose_head.pose_coder.pose_mean="[0,0,0,0,0,6]" \
        model.roi_head.pose_head.pose_coder.pose_stddev="[0.3,0.5,0.3,0.05,0.05,1.5]"
    python tools/analysis_tools/benchmark_model.py configs/img2pose/r18_fpn_wider.py \
        --checkpoint work_dirs/img2pose_v1.pth --image photo.jpg --batch-sizes 2 4
"""
import argparse
import copy
import time

import mmcv
import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.config import DictAction
from mmengine.runner import load_checkpoint
from mmengine.structures import InstanceData

from mmpose6d.registry import MODELS
from mmpose6d.utils.benchmark import StageTimes, benchmark_config, median_seconds


def with_mmcv_roi_layer(model_cfg, sampling_ratio, aligned):
    """``model_cfg`` with mmdet's SingleRoIExtractor and mmcv's RoIAlign (NCHW features:
    mmcv's layer reads no other layout)."""
    cfg = copy.deepcopy(model_cfg)
    if 'channels_last' in cfg:
        cfg.channels_last = False
    cfg.roi_head.bbox_roi_extractor.type = 'mmdet.SingleRoIExtractor'
    cfg.roi_head.bbox_roi_extractor.roi_layer = dict(
        type='RoIAlign', output_size=7, sampling_ratio=sampling_ratio, aligned=aligned)
    return cfg


def faster_rcnn_cfg(img2pose_model):
    """mmdet's Faster R-CNN with the same backbone, neck, RPN, RoI layer, face-score MLP
    widths and test settings."""
    cfg = copy.deepcopy(img2pose_model)
    cfg.type = 'mmdet.FasterRCNN'
    for own in ('val_loss', 'channels_last'):  # Img2Pose's own arguments
        cfg.pop(own, None)
    roi = cfg.roi_head
    roi.type = 'mmdet.StandardRoIHead'
    roi.pop('pose_head')
    score_head = roi.bbox_head
    roi.bbox_head = dict(
        type='mmdet.Shared2FCBBoxHead', in_channels=score_head.in_channels,
        fc_out_channels=score_head.fc_out_channels, roi_feat_size=score_head.roi_feat_size,
        num_classes=1,
        bbox_coder=dict(type='mmdet.DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                        target_stds=[0.1, 0.1, 0.2, 0.2]),
        reg_class_agnostic=False,
        loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
        loss_bbox=dict(type='mmdet.L1Loss', loss_weight=1.0))
    return cfg


def make_batch(width, height, num_faces, face_model, seed=0, image=None):
    """One random image (or the RGB ``image`` of that size) with ``num_faces`` faces: global
    poses and their boxes by ``face_model`` (a :class:`~mmpose6d.geometry.FaceModel`)."""
    rng = np.random.default_rng(seed)
    f = width + height
    depth = rng.uniform(10, 25, num_faces)
    poses = np.c_[rng.uniform(-0.4, 0.4, (num_faces, 3)),
                  rng.uniform(-0.3, 0.3, num_faces) * width / f * depth,
                  rng.uniform(-0.3, 0.3, num_faces) * height / f * depth, depth]
    boxes = face_model.boxes(poses, np.array([width, height], float))
    sample = DetDataSample(metainfo=dict(img_shape=(height, width), ori_shape=(height, width),
                                         pad_shape=(height, width), scale_factor=(1.0, 1.0),
                                         batch_input_shape=(height, width)))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor(boxes, dtype=torch.float32),
        labels=torch.zeros(num_faces, dtype=torch.long),
        poses=torch.tensor(poses, dtype=torch.float32))
    pixels = rng.integers(0, 255, (3, height, width), dtype=np.uint8)
    if image is not None:  # BGR, as mmdet's loading gives it
        pixels = np.ascontiguousarray(image[..., ::-1].transpose(2, 0, 1))
    return dict(inputs=[torch.from_numpy(pixels)], data_samples=[sample])


def keep_fraction(model, batch, fraction):
    """Shift the face logit so that ``fraction`` of the proposals of ``batch`` pass the
    score threshold; returns the number that pass."""
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(copy.deepcopy(batch), False)
        feats = model.extract_feat(data['inputs'])
        proposals = model.rpn_head.predict(feats, data['data_samples'])
        rois = torch.cat([torch.zeros(len(proposals[0]), 1), proposals[0].bboxes], 1)
        logits = model.roi_head.bbox_head(model.roi_head._roi_feats(feats, rois))[0]
        margin = logits[:, 0] - logits[:, 1]  # face minus background
        thr = model.test_cfg.rcnn.score_thr
        target = np.log(thr / (1 - thr)) - torch.quantile(margin, 1 - fraction).item()
        model.roi_head.bbox_head.fc_cls.bias[0] += target + 1e-4
        return int((margin + target + 1e-4 > np.log(thr / (1 - thr))).sum())


def benchmark(model, batch, repeat):
    """Median seconds of one SGD train step and of one single-image inference."""
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-5, momentum=0.9)

    def train_step():
        model.train()
        data = model.data_preprocessor(copy.deepcopy(batch), True)
        losses = model(**data, mode='loss')
        loss, _ = model.parse_losses(losses)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def infer():
        model.eval()
        with torch.no_grad():
            data = model.data_preprocessor(copy.deepcopy(batch), False)
            return model(**data, mode='predict')

    train = median_seconds(train_step, repeat, warmup=2)
    test = median_seconds(infer, repeat, warmup=2)
    return train, test, len(infer()[0].pred_instances)


def inference_stages(model):
    """The stages of an inference, as ``StageTimes`` entries."""
    roi = model.roi_head
    return [('backbone + FPN', model, 'extract_feat'),
            ('RPN convolutions', model.rpn_head, 'forward'),
            ('RPN proposals (top-k, NMS)', model.rpn_head, 'predict_by_feat'),
            ('RoI features', roi.bbox_roi_extractor, 'forward'),
            ('face-score MLP', roi.bbox_head, 'forward'), ('pose MLP', roi.pose_head, 'forward'),
            ('faces from poses (boxes, NMS)', roi.pose_head, 'predict_by_feat')]


def train_stages(model):
    """The forward stages of a train step, as ``StageTimes`` entries."""
    roi = model.roi_head
    return [('backbone + FPN', model, 'extract_feat'),
            ('RPN convolutions', model.rpn_head, 'forward'),
            ('RPN targets and losses', model.rpn_head, 'loss_by_feat'),
            ('RPN proposals (top-k, NMS)', model.rpn_head, 'predict_by_feat'),
            ('RoI assignment', roi.bbox_assigner, 'assign'),
            ('RoI sampling', roi.bbox_sampler, 'sample'),
            ('RoI features', roi.bbox_roi_extractor, 'forward'),
            ('face-score MLP', roi.bbox_head, 'forward'), ('pose MLP', roi.pose_head, 'forward'),
            ('face-score loss', roi.bbox_head, 'loss_and_target'),
            ('pose losses', roi.pose_head, 'loss_and_target')]


def stage_breakdown(model, batch, repeat):
    """Median seconds of each stage of an inference and of an SGD train step of ``model`` on
    ``batch``: two lists of ``(stage, seconds)``, each ending with the whole and "rest"."""
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-7,
                                momentum=0.9)
    results = []
    for training in (False, True):
        stages = StageTimes(train_stages(model) if training else inference_stages(model))
        extra = {'backward': [], 'optimizer step': [], 'whole': []}
        model.train(training)
        with stages:
            for run in range(repeat + 1):  # the first run warms up
                stages.new_run()
                start = time.perf_counter()
                data = model.data_preprocessor(copy.deepcopy(batch), training)
                if training:
                    losses = model(**data, mode='loss')
                    loss, _ = model.parse_losses(losses)
                    optimizer.zero_grad()
                    backward = time.perf_counter()
                    loss.backward()
                    step = time.perf_counter()
                    optimizer.step()
                    done = time.perf_counter()
                    extra['backward'].append(step - backward)
                    extra['optimizer step'].append(done - step)
                else:
                    with torch.no_grad():
                        model(**data, mode='predict')
                    done = time.perf_counter()
                extra['whole'].append(done - start)
        rows = list(stages.medians().items())
        if training:
            rows += [(name, float(np.median(extra[name][1:])))
                     for name in ('backward', 'optimizer step')]
        whole = [sum(run.values()) for run in stages.runs[1:]]
        if training:
            whole = [w + b + o for w, b, o in
                     zip(whole, extra['backward'][1:], extra['optimizer step'][1:])]
        total = float(np.median(extra['whole'][1:]))
        rows += [('rest', total - float(np.median(whole))), ('whole', total)]
        results.append(rows)
    return results


def batched_inference(model, batch, sizes, repeat):
    """Median seconds per image of one ``predict`` on ``size`` copies of ``batch``'s image
    (one batch of that size), for each of ``sizes``."""
    model.eval()
    per_image = {}
    for size in sizes:
        many = dict(inputs=batch['inputs'] * size,
                    data_samples=[copy.deepcopy(batch['data_samples'][0]) for _ in range(size)])

        def infer():
            with torch.no_grad():
                model(**model.data_preprocessor(copy.deepcopy(many), False), mode='predict')

        per_image[size] = median_seconds(infer, repeat) / size
    return per_image


def print_stages(inference, train):
    """One table: the train step's stages in their order, the inference-only ones before
    the backward."""
    names = [name for name, _ in train]
    only_inference = [name for name, _ in inference if name not in names]
    at = names.index('backward')
    names[at:at] = only_inference
    inference, train = dict(inference), dict(train)
    print(f'{"stage":38s} {"inference (ms)":>15s} {"train step (ms)":>16s}')
    for name in names:
        cells = [f'{table[name] * 1000:.1f}' if name in table else '-'
                 for table in (inference, train)]
        print(f'{name:38s} {cells[0]:>15s} {cells[1]:>16s}')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--size', nargs=2, type=int, default=[640, 480], help='width height')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--faces', type=int, default=5, help='gt faces in the train image')
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--keep', type=float, default=0.1,
                        help='fraction of the proposals whose face score passes')
    parser.add_argument('--checkpoint', help='weights to time instead of random ones')
    parser.add_argument('--image', help='an image to time at its own size instead of a '
                        'random one of --size')
    parser.add_argument('--batch-sizes', nargs='*', type=int, default=[],
                        help='also time inference of batches of these sizes, per image')
    parser.add_argument('--tta-scales', nargs='*', type=int, default=[],
                        help='also time inference with the short side at each scale')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. the pose statistics')
    args = parser.parse_args(argv)
    cfg = benchmark_config(args.config, args.cfg_options, args.threads)
    image = None if args.image is None else mmcv.imread(args.image, channel_order='rgb')
    height, width = image.shape[:2] if image is not None else args.size[::-1]
    img2pose = MODELS.build(cfg.model)
    batch = make_batch(width, height, args.faces, img2pose.face_model, image=image)
    if args.checkpoint:
        load_checkpoint(img2pose, args.checkpoint, map_location='cpu')
        passing = None
    else:
        passing = keep_fraction(img2pose, batch, args.keep)
    weights = args.checkpoint or 'random weights'
    print(f'{width}x{height}, {torch.get_num_threads()} threads, {weights}, '
          f'{"channels-last" if img2pose.channels_last else "NCHW"}, median of {args.repeat}')
    print_stages(*stage_breakdown(img2pose, batch, args.repeat))
    if args.batch_sizes:
        per_image = batched_inference(img2pose, batch, [1] + args.batch_sizes, args.repeat)
        for size, seconds in per_image.items():
            print(f'batch of {size}: {seconds:.3f} s per image ({seconds / per_image[1]:.2f}x '
                  'the time of one at a time)')

    rows = []
    mmdet_default = with_mmcv_roi_layer(faster_rcnn_cfg(cfg.model), 0, True)
    channels_last = img2pose.channels_last  # as resolved on this CPU; mmdet's models run NCHW
    other_layout = copy.deepcopy(cfg.model)
    other_layout.channels_last = not channels_last
    layouts = {False: 'NCHW', True: 'channels-last'}
    for name, model_cfg in [('img2pose (ours)', cfg.model),
                            ('img2pose, mmcv RoIAlign kernel',
                             with_mmcv_roi_layer(cfg.model, 2, False)),
                            ('Faster R-CNN, mmdet default RoIAlign', mmdet_default),
                            ('Faster R-CNN, our RoI layer', faster_rcnn_cfg(cfg.model)),
                            (f'img2pose, {layouts[not channels_last]} layout', other_layout)]:
        if name == 'img2pose (ours)':
            model = img2pose
        else:
            # the same weights where the layers match: same proposals, same RoIs
            model = MODELS.build(model_cfg)
            model.load_state_dict(img2pose.state_dict(), strict=False)
        rows.append((name, *benchmark(model, batch, args.repeat)))

    passing = '' if passing is None else f' ({passing} pass the score threshold)'
    print(f'{cfg.model.test_cfg.rpn.max_per_img} proposals at test time{passing}')
    print(f'{"model":38s} {"train step (s)":>15s} {"inference (s)":>14s} {"detections":>11s}')
    for name, train, test, dets in rows:
        print(f'{name:38s} {train:15.3f} {test:14.3f} {dets:11d}')
    # mmdet's Faster R-CNN runs NCHW: it is compared with img2pose in NCHW
    fast, nchw = (rows[0], rows[4]) if channels_last else (rows[4], rows[0])
    same_roi = rows[3]
    print(f'pose head overhead vs Faster R-CNN (same RoIAlign, NCHW): train '
          f'{nchw[1] / same_roi[1] - 1:+.1%}, inference {nchw[2] / same_roi[2] - 1:+.1%}')
    print(f'vs Faster R-CNN (mmdet default RoIAlign, NCHW): train {nchw[1] / rows[2][1]:.2f}x, '
          f'inference {nchw[2] / rows[2][2]:.2f}x the time')
    print(f'channels-last vs NCHW layout: train {fast[1] / nchw[1]:.2f}x, inference '
          f'{fast[2] / nchw[2]:.2f}x the time')

    for scale in args.tta_scales:
        ratio = scale / min(width, height)
        w, h = int(round(width * ratio)), int(round(height * ratio))
        scaled = make_batch(w, h, args.faces, img2pose.face_model)
        _, test, _ = benchmark(img2pose, scaled, max(1, args.repeat // 2))
        print(f'TTA scale {scale:5d} ({w}x{h}): inference {test:.3f} s')


if __name__ == '__main__':
    main()
