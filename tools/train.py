"""Train an mmpose6d model: ``python tools/train.py CONFIG [--work-dir DIR] [--resume]``."""
import argparse
import sys

from mmengine.device import get_device
from mmengine.runner import Runner

from mmpose6d.utils.checkpoint import CheckpointError, checkpoint_loading, read_checkpoint
from mmpose6d.utils.resume import find_resume_checkpoint, resumable_problem
from mmpose6d.utils.runner_setup import add_common_args, load_config

AMP_DEVICES = ('cuda', 'npu', 'mlu', 'musa')


def parse_args():
    parser = argparse.ArgumentParser(description='Train an mmpose6d detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (needs a GPU)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate with the total batch size')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from the given checkpoint, or the latest intact one in '
                        'work-dir')
    return add_common_args(parser).parse_args()


def choose_checkpoint(cfg, resume, trust):
    """Set ``cfg.resume`` / ``cfg.load_from`` for ``--resume`` (``'auto'``: the latest intact
    checkpoint of the work dir) and check the file to start from is readable; raises
    :class:`CheckpointError` naming it."""
    if resume == 'auto':
        cfg.load_from = find_resume_checkpoint(cfg.work_dir, trust)
        cfg.resume = cfg.load_from is not None
    elif resume is not None:
        problem = resumable_problem(resume, trust)
        if problem:
            raise CheckpointError(problem)
        cfg.resume, cfg.load_from = True, resume
    elif cfg.get('load_from') and '://' not in cfg.load_from:
        read_checkpoint(cfg.load_from, trust, mmap=True)  # fine-tuning: mmengine's tolerant load
    resumed_file = cfg.get('resume') and cfg.get('load_from') and '://' not in cfg.load_from
    if resumed_file and cfg.get('randomness', {}).get('seed') is None:
        # the stopped run's seed: mmengine restores it only after it has built the sampler
        # and the data workers from a new one
        seed = read_checkpoint(cfg.load_from, trust, mmap=True)['meta'].get('seed')
        cfg.randomness = dict(cfg.get('randomness', {}), seed=seed)


def main():
    args = parse_args()
    if args.amp and get_device() not in AMP_DEVICES:  # AmpOptimWrapper would assert later
        sys.exit('error: --amp (automatic mixed precision) needs a GPU (mmengine\'s '
                 'AmpOptimWrapper runs on CUDA, NPU, MLU or MUSA devices) and this machine has '
                 f'none ({get_device()} only): train without --amp')
    cfg = load_config(args)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            sys.exit(f'error: --auto-scale-lr: {args.config} has no auto_scale_lr.base_batch_size '
                     '(the total batch size its learning rate is set for)')
        cfg.auto_scale_lr.enable = True
    try:
        choose_checkpoint(cfg, args.resume, args.trust_checkpoint)
    except CheckpointError as error:
        sys.exit(f'error: {error}')
    with checkpoint_loading(args.trust_checkpoint):
        Runner.from_cfg(cfg).train()


if __name__ == '__main__':
    main()
