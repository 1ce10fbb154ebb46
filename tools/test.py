"""Test an mmpose6d model: ``python tools/test.py CONFIG CHECKPOINT [--tta] [--show-dir D]
[--show [--wait-time S]] [--camera FX FY CX CY | --camera-file FILE] [--ipd-mm MM]``.

With a camera, the model also solves each face's pose in that camera and every
``FacePoseMetric`` of the test evaluator scores those poses against ground truth in it (for a
split rendered in that camera, e.g. ``render_faces.py --camera``)."""
import argparse
import sys

from mmdet.engine.hooks.utils import trigger_visualization_hook
from mmengine.config import ConfigDict
from mmengine.runner import Runner

from mmpose6d.utils.camera_args import add_camera_args, camera_from_args, camera_setting
from mmpose6d.utils.checkpoint import CheckpointError, checkpoint_loading
from mmpose6d.utils.checkpoint_fit import check_model_checkpoint
from mmpose6d.utils.runner_setup import add_common_args, load_config


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) an mmpose6d detector')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='dump predictions to a pickle file')
    parser.add_argument('--show', action='store_true', help='show painted predictions')
    parser.add_argument('--show-dir', help='save painted predictions under work_dir/SHOW_DIR')
    parser.add_argument('--wait-time', type=float, default=2,
                        help='seconds each painted prediction is shown (--show)')
    parser.add_argument('--tta', action='store_true',
                        help="test-time augmentation: the config's tta_model/tta_pipeline")
    add_camera_args(parser)
    return add_common_args(parser).parse_args()


def apply_camera(cfg, args):
    """The camera flags in the config: the model's ``camera`` / ``ipd_mm`` and the camera
    of every ``FacePoseMetric`` of the test evaluator; exits naming a bad camera."""
    try:
        camera_from_args(args)
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f'error: {error}')
    camera = camera_setting(args)
    if camera is not None:
        cfg.model.camera = camera
        evaluators = cfg.test_evaluator
        for evaluator in evaluators if isinstance(evaluators, list) else [evaluators]:
            if evaluator.get('type') in ('FacePoseMetric', 'mmpose6d.FacePoseMetric'):
                evaluator.camera = camera
    if args.ipd_mm is not None:
        cfg.model.ipd_mm = args.ipd_mm


def main():
    args = parse_args()
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    apply_camera(cfg, args)
    if args.show or args.show_dir:
        trigger_visualization_hook(cfg, args)
    if args.tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise KeyError(f'{args.config} defines no tta_model / tta_pipeline for --tta')
        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    runner = Runner.from_cfg(cfg)
    try:  # a checkpoint that does not fit would give a metric of random weights
        check_model_checkpoint(runner.model, args.checkpoint, args.trust_checkpoint)
    except CheckpointError as error:
        sys.exit(f'error: {error}')
    if args.out is not None:
        from mmdet.evaluation import DumpDetResults
        runner.test_evaluator.metrics.append(DumpDetResults(out_file_path=args.out))
    with checkpoint_loading(args.trust_checkpoint):
        runner.test()


if __name__ == '__main__':
    main()
