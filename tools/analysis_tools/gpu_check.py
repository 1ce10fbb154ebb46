"""Check an install on its GPU: img2pose trains, validates and infers there as on the CPU.

    python tools/analysis_tools/gpu_check.py [--device cuda] [--iters 30] [--checkpoint FILE]

Renders a tiny synthetic face set (``render_faces.py``, ``compute_pose_stats.py``) and runs the
WIDER config's model on it, sized for those images (no ImageNet weights, the set's pose
statistics, the config's pipelines at ``--size``): CPU and device predictions of the same
weights (the seeded random model's, or ``--checkpoint``), ``--iters`` training iterations in
float32 and under automatic mixed precision, a validation with the validation loss, the
``--tta`` model, the inferencer, and the device's times next to the CPU's. Every check is
independent and prints one ``[PASS]`` / ``[FAIL]`` line with its numbers; a summary line
follows, and the exit code is 1 if any check failed. ``--device cpu`` runs the same checks
on the CPU alone (for CI). Sized for well under 10 minutes on one GPU.
"""
import argparse
import copy
import io
import json
import math
import os
import runpy
import statistics
import sys
import tempfile
import time
import traceback
from contextlib import contextmanager, nullcontext, redirect_stdout
from pathlib import Path

import mmcv
import mmdet
import numpy as np
import torch
from mmengine.config import ConfigDict
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.runner import Runner, set_random_seed

from mmpose6d.apis import Img2PoseInferencer
from mmpose6d.evaluation.metrics.face_pose_metric import match_image
from mmpose6d.registry import MODELS
from mmpose6d.utils.benchmark import benchmark_config
from mmpose6d.utils.checkpoint_fit import load_model_checkpoint

TOOLS = Path(__file__).resolve().parents[1]
REPO = TOOLS.parent
#: the rendered set: images per split, faces per image and their head heights in pixels
SPLITS = dict(train=8, val=2)
FACES, FACE_SIZE = (2, 5), (40, 140)


class CPUAutocastOptimWrapper(OptimWrapper):
    """What ``AmpOptimWrapper`` does on CUDA, for the CPU where it refuses to run: the forward
    (``optim_context``) under bfloat16 autocast, the backward and step in float32. No loss
    scale: bfloat16 has float32's exponent range."""

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast('cpu', dtype=torch.bfloat16):
            yield


class Context:
    """What the checks share: the arguments, the adapted config, the rendered set's folder
    and the weights of the inference checks (saved from the seeded model on first use)."""

    def __init__(self, args, work_dir):
        self.args, self.work_dir = args, work_dir
        self.device = torch.device(args.device)
        self.data_dir = work_dir / 'rendered'
        self.cfg = sized_config(args, self.data_dir)
        self._weights = args.checkpoint

    @property
    def weights(self):
        """``--checkpoint``, or the seeded model's weights saved in the work dir."""
        if self._weights is None:
            path = self.work_dir / f'seed{self.args.seed}.pth'
            torch.save(dict(state_dict=self.model('cpu').state_dict(), meta={}), path)
            self._weights = str(path)
        return self._weights

    def model(self, device, weights=None):
        """The config's model with the seeded initial weights, or ``weights`` loaded."""
        set_random_seed(self.args.seed)
        model = MODELS.build(self.cfg.model)
        if weights is None:
            model.init_weights()
        else:
            load_model_checkpoint(model, weights)
        return model.to(device)

    def loader(self, split, pipeline=None):
        cfg = copy.deepcopy(self.cfg[f'{split}_dataloader'])
        if pipeline is not None:
            cfg.dataset.pipeline = pipeline
        return Runner.build_dataloader(cfg, seed=self.args.seed)

    def train_batches(self):
        """Training batches without end (a new pass over the set after each)."""
        loader = self.loader('train')
        while True:
            yield from loader

    def val_batch(self):
        return next(iter(self.loader('val')))


def sized_config(args, data_dir):
    """``args.config`` for the rendered set in ``data_dir``: no pretrained backbone
    (``benchmark_config``), the set's pose statistics, its files, the pipelines' scales
    ``(size, 0.8 size)``, loading in this process, ``FacePoseMetric`` (the config's face
    model, ground truth from the pipeline) and ``--tta-scales``."""
    cfg = benchmark_config(args.config, threads=args.threads)
    coder = cfg.model.roi_head.pose_head.pose_coder
    coder.pose_mean = str(data_dir / 'pose_mean.npy')
    coder.pose_stddev = str(data_dir / 'pose_stddev.npy')
    scale = (args.size, args.size * 4 // 5)
    for split in SPLITS:
        loader = cfg[f'{split}_dataloader']
        loader.update(num_workers=0, persistent_workers=False)
        loader.dataset.update(data_root=str(data_dir),
                              ann_file=f'annotations/{split}_annotations.txt',
                              data_prefix=dict(img=f'{split}/images/'))
        for step in loader.dataset.pipeline:
            if 'scales' in step:  # the training's multi-scale resize
                step.scales = [scale]
            elif 'scale' in step:
                step.scale = scale
    cfg.test_dataloader = copy.deepcopy(cfg.val_dataloader)
    cfg.val_evaluator = dict(type='FacePoseMetric', face_model=cfg.get('face_model'))
    if args.tta_scales:
        next(step for step in cfg.tta_pipeline if 'scales' in step).scales = args.tta_scales
    return cfg


def run_tool(name, argv):
    """``main(argv)`` of the script ``tools/<name>`` (its printing discarded)."""
    with redirect_stdout(io.StringIO()):
        return runpy.run_path(str(TOOLS / name))['main'](argv)


def synchronize(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


@contextmanager
def full_float32():
    """No TF32 in CUDA's matrix products and convolutions: float32 on both sides."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def predict(model, batch):
    with torch.no_grad():
        return model.test_step(copy.deepcopy(batch))[0].pred_instances.cpu()


def numbers(log):
    """A log dict's values (tensors, some still in the graph) as floats."""
    return {name: float(torch.as_tensor(value).detach()) for name, value in log.items()}


def finite(values):
    return all(math.isfinite(v) for v in values)


def check_data(ctx):
    """The rendered set (``render_faces.py``) and the pose statistics of its RoI targets
    (``compute_pose_stats.py --roi-targets``, as for the CPU recipe) with the references of
    the config's face model (``face_model``, where it sets one)."""
    args, out = ctx.args, ctx.data_dir
    face_model = ctx.cfg.get('face_model') or {}
    references = [arg for name in ('reference68', 'reference5') if name in face_model
                  for arg in (f'--{name}', face_model[name])]
    run_tool('dataset_converters/render_faces.py', [
        '--out', str(out), '--train', str(SPLITS['train']), '--val', str(SPLITS['val']),
        '--size', str(args.size), '--faces', *map(str, FACES), '--face-size',
        *map(str, FACE_SIZE), '--workers', '1', '--seed', str(args.seed), '--cache-dir',
        args.cache_dir])
    _, std = run_tool('dataset_converters/compute_pose_stats.py', [
        str(out / 'annotations' / 'train_annotations.txt'), '--out-dir', str(out),
        '--roi-targets', '--image-root', str(out / 'train' / 'images'), *references])
    faces = {split: sum(map(len, json.loads(
        (out / 'annotations' / f'{split}_render_poses.json').read_text()).values()))
        for split in SPLITS}
    ok = all(faces.values()) and np.isfinite(std).all() and (std > 0).all()
    return ok, (f'{SPLITS["train"]} train images ({faces["train"]} faces) + {SPLITS["val"]} '
                f'val ({faces["val"]}), {args.size} px; RoI-target pose std '
                f'{np.round(std, 3).tolist()}')


def check_parity(ctx):
    """The same weights on the CPU and on the device, one val image, float32 (no TF32): the
    CPU's 100 best detections matched greedily in score order to the device's at IoU 0.9."""
    cpu = ctx.model('cpu', ctx.weights).eval()
    on_device = copy.deepcopy(cpu).to(ctx.device)
    batch = ctx.val_batch()
    with full_float32():
        ours = predict(cpu, batch)
        theirs = predict(on_device, batch)
    if not len(ours):
        return False, f'no CPU detection to compare (device: {len(theirs)})'
    top = ours[ours.scores.argsort(descending=True)[:100]]
    matched = match_image(top.bboxes.numpy(), top.scores.numpy(), theirs.bboxes.numpy(), 0.9)
    hit = matched >= 0
    pairs = torch.as_tensor(hit).nonzero()[:, 0], torch.as_tensor(matched[hit])
    pose = (top.poses[pairs[0]] - theirs.poses[pairs[1]]).abs()
    score = (top.scores[pairs[0]] - theirs.scores[pairs[1]]).abs()
    largest = (f'max |pose diff| {pose.max():.2e}, max |score diff| {score.max():.2e}'
               if hit.any() else 'none matched')
    return hit.mean() >= 0.95, (f'{hit.sum()}/{len(top)} of the CPU\'s best detections '
                                f'matched at IoU >= 0.9 ({len(ours)} CPU, {len(theirs)} '
                                f'{ctx.device.type}), {largest}')


def amp_wrapper(ctx, model):
    """The optimizer wrapper of ``tools/train.py --amp`` on CUDA; on the CPU its equivalent,
    :class:`CPUAutocastOptimWrapper`."""
    cfg = copy.deepcopy(ctx.cfg.optim_wrapper)
    if ctx.device.type == 'cuda':
        cfg.update(type='AmpOptimWrapper', loss_scale='dynamic')
        return build_optim_wrapper(model, cfg), 'AmpOptimWrapper, float16, dynamic loss scale'
    plain = build_optim_wrapper(model, cfg)
    return (CPUAutocastOptimWrapper(plain.optimizer, clip_grad=cfg.get('clip_grad')),
            'CPU: bfloat16 autocast in optim_context, no loss scale (AmpOptimWrapper refuses '
            'the CPU)')


def check_train(ctx, amp):
    """One forward/backward (every trainable parameter must get a finite gradient), then
    ``--iters`` ``train_step`` with finite losses, with the config's SGD wrapper or its AMP
    form."""
    model = ctx.model(ctx.device).train()
    if amp:
        wrapper, how = amp_wrapper(ctx, model)
    else:
        wrapper = build_optim_wrapper(model, copy.deepcopy(ctx.cfg.optim_wrapper))
        how = 'OptimWrapper, float32'
    batches = ctx.train_batches()
    with wrapper.optim_context(model):  # as train_step runs the forward
        data = model.data_preprocessor(next(batches), True)
        losses = model(**data, mode='loss')
    loss, _ = model.parse_losses(losses)
    loss.backward()
    trainable = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    without = [name for name, p in trainable
               if p.grad is None or not torch.isfinite(p.grad).all()]
    wrapper.zero_grad()
    logs = [numbers(model.train_step(next(batches), wrapper)) for _ in range(ctx.args.iters)]
    bad = [i + 1 for i, log in enumerate(logs) if not finite(log.values())]
    details = (f'{how}; {len(trainable) - len(without)}/{len(trainable)} trainable parameters '
               f'with a finite gradient')
    if without:
        details += f' (not: {", ".join(without[:3])}{", ..." if len(without) > 3 else ""})'
    details += f'; {len(logs)} train steps, loss {logs[0]["loss"]:.4f} -> {logs[-1]["loss"]:.4f}'
    if bad:
        details += f', non-finite losses at iterations {bad[:5]}'
    if hasattr(wrapper, 'loss_scaler'):
        details += f', loss scale {wrapper.loss_scaler.get_scale():g}'
    return not (without or bad), details


def check_validation(ctx):
    """``val_step`` over the val set with the config's ``val_loss``: predictions and a finite
    validation loss per batch, processed by the evaluator as ``ValLoop`` does."""
    model = ctx.model(ctx.device, ctx.weights).eval()
    if not model.val_loss:
        return False, f'{ctx.args.config} sets no model.val_loss'
    evaluator = Evaluator(ctx.cfg.val_evaluator)
    loader = ctx.loader('val')
    val_losses = []
    for batch in loader:
        with torch.no_grad():
            *preds, loss = model.val_step(batch)
        val_losses.append(numbers(loss.loss))
        evaluator.process(data_samples=preds, data_batch=batch)
    metrics = evaluator.evaluate(len(loader.dataset))
    total = statistics.fmean(sum(losses.values()) for losses in val_losses)
    ok = all(finite(losses.values()) for losses in val_losses) and math.isfinite(total)
    shown = ', '.join(f'{k.split("/")[-1]} {v:.3g}' for k, v in metrics.items()
                      if k.split('/')[-1] in ('AP50', 'num_matched', 'mae'))
    return ok, (f'{len(val_losses)} batches, val_loss {total:.4f} '
                f'({len(val_losses[0])} losses), metric: {shown}')


def check_tta(ctx):
    """The config's ``tta_model`` around its model with its ``tta_pipeline``, as
    ``tools/test.py --tta`` builds them, on one val image."""
    cfg = ctx.cfg
    set_random_seed(ctx.args.seed)
    model = MODELS.build(ConfigDict(**cfg.tta_model, module=cfg.model))
    load_model_checkpoint(model, ctx.weights)
    model.to(ctx.device).eval()
    batch = next(iter(ctx.loader('val', cfg.tta_pipeline)))
    with torch.no_grad():
        pred = model.test_step(batch)[0].pred_instances
    n = len(pred)
    shapes_ok = (tuple(pred.bboxes.shape) == (n, 4) and tuple(pred.scores.shape) == (n, )
                 and tuple(pred.poses.shape) == (n, 6))
    ok = n > 0 and shapes_ok and torch.isfinite(pred.poses).all().item()
    scales = next(step for step in cfg.tta_pipeline if 'scales' in step).scales
    return ok, (f'{len(batch["inputs"])} passes (short sides {list(scales)}, flipped), '
                f'{n} faces with boxes, scores and poses on {pred.poses.device}')


def check_inferencer(ctx):
    """``Img2PoseInferencer`` with the config and the weights file on the device."""
    inferencer = Img2PoseInferencer(model=copy.deepcopy(ctx.cfg), weights=ctx.weights,
                                    device=str(ctx.device), show_progress=False)
    image = sorted((ctx.data_dir / 'val' / 'images').iterdir())[0]
    pred = inferencer(str(image), pred_score_thr=0.0)['predictions'][0]
    poses, euler = np.asarray(pred['poses']), np.asarray(pred['euler'])
    n = len(pred['scores'])
    ok = n > 0 and poses.shape == (n, 6) and euler.shape == (n, 3) and np.isfinite(poses).all()
    return ok, (f'{image.name}: {n} faces, poses {poses.shape}, euler {euler.shape}, model on '
                f'{next(inferencer.model.parameters()).device}')


def mean_seconds(fn, device, repeat, warmup):
    """Mean wall time of ``repeat`` calls of ``fn`` after ``warmup`` calls, each waited for
    on the device."""
    times = []
    for i in range(warmup + repeat):
        start = time.perf_counter()
        fn()
        synchronize(device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.fmean(times)


def check_timing(ctx):
    """Mean seconds of a (fp32) train step and of a one-image inference on the device and on
    the CPU, the same batches on both."""
    args = ctx.args
    batches = ctx.train_batches()
    train = [next(batches) for _ in range(args.warmup + args.repeat)]
    val = ctx.val_batch()
    seconds = {}
    for device in dict.fromkeys([ctx.device, torch.device('cpu')]):
        model = ctx.model(device, ctx.weights).train()
        wrapper = build_optim_wrapper(model, copy.deepcopy(ctx.cfg.optim_wrapper))
        steps = iter(train)
        step = mean_seconds(lambda: model.train_step(copy.deepcopy(next(steps)), wrapper),
                            device, args.repeat, args.warmup)
        model.eval()
        seconds[device.type] = step, mean_seconds(lambda: predict(model, val), device,
                                                  args.repeat, args.warmup)
    (dev_train, dev_infer), (cpu_train, cpu_infer) = seconds[ctx.device.type], seconds['cpu']
    ok = all(s > 0 for s in (dev_train, dev_infer, cpu_train, cpu_infer))
    return ok, (f'train step {dev_train:.3f} s on {ctx.device.type}, {cpu_train:.3f} s on CPU '
                f'({cpu_train / dev_train:.1f}x); inference {dev_infer:.3f} s, {cpu_infer:.3f} s '
                f'on CPU ({cpu_infer / dev_infer:.1f}x); batch {len(train[0]["inputs"])}, mean '
                f'of {args.repeat} after {args.warmup}, {torch.get_num_threads()} CPU threads')


CHECKS = {
    'data': check_data,
    'parity': check_parity,
    'train fp32': lambda ctx: check_train(ctx, amp=False),
    'train amp': lambda ctx: check_train(ctx, amp=True),
    'validation': check_validation,
    'tta': check_tta,
    'inferencer': check_inferencer,
    'timing': check_timing,
}


def describe(device):
    """One line on the machine: the device, torch, mmcv and mmdet."""
    where = 'CPU'
    if device.type == 'cuda':
        props = torch.cuda.get_device_properties(device)
        where = (f'{props.name} ({props.total_memory / 2**30:.0f} GiB, capability '
                 f'{props.major}.{props.minor}), CUDA {torch.version.cuda}')
    return (f'gpu_check on {device}: {where}; torch {torch.__version__}, mmcv {mmcv.__version__}, '
            f'mmdet {mmdet.__version__}, {torch.get_num_threads()} CPU threads')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cuda', help='the device checked (cuda, cuda:1, cpu)')
    parser.add_argument('--config', default=str(REPO / 'configs/img2pose/r18_fpn_wider.py'))
    parser.add_argument('--checkpoint', help='weights of the inference checks (parity, '
                        'validation, tta, inferencer, timing); default: the seeded model\'s')
    parser.add_argument('--iters', type=int, default=30, help='training iterations per check')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--size', type=int, default=320, help='long side of the images')
    parser.add_argument('--tta-scales', type=int, nargs='+',
                        help="short sides of the tta check (default: the config's)")
    parser.add_argument('--repeat', type=int, default=5, help='timed steps per device')
    parser.add_argument('--warmup', type=int, default=2, help='untimed steps before them')
    parser.add_argument('--threads', type=int, default=os.cpu_count(),
                        help='PyTorch CPU threads (default: all cores)')
    parser.add_argument('--cache-dir', default=str(REPO / 'data' / 'cache'),
                        help="where the renderer finds (or fetches) the face scan")
    parser.add_argument('--work-dir', help='keep the rendered set and weights here (default: '
                        'a temporary folder)')
    args = parser.parse_args(argv)
    if args.iters < 1 or args.repeat < 1 or args.warmup < 0:
        parser.error('--iters and --repeat must be >= 1, --warmup >= 0')
    if torch.device(args.device).type == 'cuda' and not torch.cuda.is_available():
        parser.error(f'--device {args.device}: PyTorch sees no CUDA device (torch '
                     f'{torch.__version__}, built for CUDA {torch.version.cuda}); --device cpu '
                     'checks the CPU alone')
    return args


def main(argv=None):
    args = parse_args(argv)
    MMLogger.get_instance('gpu_check', log_level='WARNING')  # the libraries' INFO lines off
    with nullcontext(args.work_dir) if args.work_dir else tempfile.TemporaryDirectory() as folder:
        work_dir = Path(folder)
        work_dir.mkdir(parents=True, exist_ok=True)
        ctx = Context(args, work_dir)
        print(describe(ctx.device), flush=True)
        start, failed = time.perf_counter(), []
        for name, check in CHECKS.items():
            began = time.perf_counter()
            try:
                ok, details = check(ctx)
                synchronize(ctx.device)  # a failed CUDA kernel is this check's
            except Exception as error:  # reported, and the next check runs
                ok = False
                details = f'{type(error).__name__}: {error}'.strip().replace('\n', ' | ')
                traceback.print_exc()
            print(f'[{"PASS" if ok else "FAIL"}] {name}: {details} '
                  f'({time.perf_counter() - began:.1f} s)', flush=True)
            failed += [] if ok else [name]
    seconds = time.perf_counter() - start
    if failed:
        print(f'SUMMARY: {len(failed)} of {len(CHECKS)} checks FAILED ({", ".join(failed)}) on '
              f'{args.device} in {seconds:.0f} s')
    else:
        print(f'SUMMARY: all {len(CHECKS)} checks passed on {args.device} in {seconds:.0f} s')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
