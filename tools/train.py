"""Train an mmpose6d model: ``python tools/train.py CONFIG [--work-dir DIR] [--resume]``."""
import argparse

from mmengine.runner import Runner

from mmpose6d.utils.runner_setup import add_common_args, load_config


def parse_args():
    parser = argparse.ArgumentParser(description='Train an mmpose6d detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate with the total batch size')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from the given checkpoint, or the latest in work-dir')
    return add_common_args(parser).parse_args()


def main():
    args = parse_args()
    cfg = load_config(args)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    Runner.from_cfg(cfg).train()


if __name__ == '__main__':
    main()
