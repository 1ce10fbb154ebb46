"""What the demos share: their command line (input, model arguments) and the inferencer
built from it."""
import argparse
import sys

from mmpose6d.apis import Img2PoseInferencer
from mmpose6d.utils.camera_args import add_camera_args, camera_from_args
from mmpose6d.utils.checkpoint import TRUST_CHECKPOINT_HELP, CheckpointError


def demo_parser(doc, source, source_help):
    """A parser described by the first line of ``doc``, taking the positional ``source``,
    then the config, weights, device, score threshold, landmarks, mesh, trust,
    inference-dtype and camera flags."""
    parser = argparse.ArgumentParser(description=doc.split('\n')[0])
    parser.add_argument(source, help=source_help)
    parser.add_argument('config', help='model config file')
    parser.add_argument('--weights', required=True, help='checkpoint file')
    parser.add_argument('--device', default=None, help='e.g. cpu or cuda:0 (default: auto)')
    parser.add_argument('--pred-score-thr', '--score-thr', type=float, default=0.5,
                        help='faces scoring at most this are dropped (--score-thr: the name '
                        "mmdet's demos give it)")
    parser.add_argument('--landmarks', action='store_true',
                        help="draw each face's 68 projected reference points")
    parser.add_argument('--mesh', action='store_true', help='draw a translucent face mesh')
    parser.add_argument('--trust-checkpoint', action='store_true', help=TRUST_CHECKPOINT_HELP)
    parser.add_argument('--inference-dtype', choices=['bfloat16', 'float16'],
                        help='run the network under autocast of this dtype (bfloat16: faster '
                        'on CPUs with bfloat16 instructions; default: float32)')
    return add_camera_args(parser)


def build_inferencer(args, **kwargs):
    """The inferencer of the parsed ``args`` (drawing landmarks and a mesh on request, with
    the camera of ``--camera`` / ``--camera-file``); exits with the error when the camera
    file or numbers are bad, or the checkpoint is damaged or does not fit."""
    try:
        camera = camera_from_args(args)
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f'error: {error}')
    try:
        inferencer = Img2PoseInferencer(args.config, args.weights, device=args.device,
                                        trust_checkpoint=args.trust_checkpoint,
                                        inference_dtype=args.inference_dtype, camera=camera,
                                        ipd_mm=args.ipd_mm, **kwargs)
    except CheckpointError as error:
        sys.exit(f'error: {error}')
    inferencer.visualizer.draw_landmarks = args.landmarks
    inferencer.visualizer.draw_mesh = args.mesh
    return inferencer
