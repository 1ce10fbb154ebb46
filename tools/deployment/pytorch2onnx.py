"""Export an img2pose model to ONNX, post-processing included, for one fixed image size.

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out model.onnx \
        [--shape H W] [--opset 17] [--verify [--image IMG]] [--cfg-options k=v ...]

The graph takes one uint8 BGR image ``image`` (H, W, 3), already resized to H x W, and
returns ``boxes`` (N,4), ``scores`` (N,) and ``poses`` (N,6); normalisation, padding, NMS
and the pose geometry are inside, only standard ONNX ops (see docs/deployment.md).
"""
import argparse
import sys

from mmengine.config import DictAction

from mmpose6d.deployment import (OnnxImg2Pose, build_model, compare_detections, export_onnx,
                                 predict_pytorch, read_image)
from mmpose6d.utils.checkpoint import TRUST_CHECKPOINT_HELP, CheckpointError


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help="checkpoint ('none': random weights, for tests)")
    parser.add_argument('--out', required=True, help='output .onnx file')
    parser.add_argument('--shape', type=int, nargs=2, default=[480, 640],
                        metavar=('H', 'W'), help='input image height and width')
    parser.add_argument('--opset', type=int, default=17, help='ONNX opset (>= 11)')
    parser.add_argument('--verify', action='store_true',
                        help='run onnxruntime and PyTorch on one image and print differences')
    parser.add_argument('--image', help='image for --verify (resized to the shape); '
                        'default: noise')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--trust-checkpoint', action='store_true', help=TRUST_CHECKPOINT_HELP)
    return parser.parse_args()


def verify(model, onnx_path, shape, image_path=None):
    """Run both on one image and print the detection counts and largest differences."""
    image = read_image(image_path, *shape)
    diff = compare_detections(predict_pytorch(model, image), OnnxImg2Pose(onnx_path)(image))
    print(f"verify: PyTorch {diff['num_reference']} faces, onnxruntime {diff['num_other']}, "
          f"unmatched {diff['unmatched_reference']} / {diff['unmatched_other']}; largest "
          f"differences: box {diff['box']:.3g} px, score {diff['score']:.3g}, "
          f"pose {diff['pose']:.3g}")


def main():
    args = parse_args()
    checkpoint = None if args.checkpoint == 'none' else args.checkpoint
    try:
        model = build_model(args.config, checkpoint, args.cfg_options, args.trust_checkpoint)
    except CheckpointError as error:
        sys.exit(f'error: {error}')
    try:
        export_onnx(model, args.out, *args.shape, opset=args.opset)
    except ValueError as error:
        sys.exit(f'error: {args.config}: {error}')
    print(f'{args.out}: input image ({args.shape[0]}, {args.shape[1]}, 3) uint8 BGR; '
          'outputs boxes (N,4), scores (N,), poses (N,6)')
    if args.verify:
        verify(model, args.out, args.shape, args.image)


if __name__ == '__main__':
    main()
