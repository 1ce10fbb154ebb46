"""Detect faces and their 6DoF poses in images with an img2pose model.

    python demo/image_demo.py INPUTS CONFIG --weights CKPT --out-dir DIR [--batch-size 4]
        [--pred-score-thr | --score-thr 0.5] [--device cpu] [--crops] [--landmarks] [--mesh]

INPUTS is an image or a folder of images. Writes the drawn images to DIR/vis/, the
predictions (boxes, scores, poses, Euler angles, 68 projected landmarks) to DIR/preds/*.json
and, with --crops, ArcFace-aligned 112x112 face crops to DIR/crops/. An image that cannot be
read is skipped with a warning naming it; the exit status is 1 when any was.
"""
import sys

from demo_utils import build_inferencer, demo_parser

from mmpose6d.geometry import CameraImageSizeError


def parse_args():
    parser = demo_parser(__doc__, 'inputs', 'an image file or a folder of images')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--crops', action='store_true', help='write aligned face crops')
    parser.add_argument('--no-save-vis', action='store_true', help='write no drawn images')
    parser.add_argument('--no-save-pred', action='store_true', help='write no JSON files')
    return parser.parse_args()


def main():
    args = parse_args()
    inferencer = build_inferencer(args)
    try:
        result = inferencer(args.inputs, batch_size=args.batch_size, out_dir=args.out_dir,
                            pred_score_thr=args.pred_score_thr, no_save_vis=args.no_save_vis,
                            no_save_pred=args.no_save_pred, save_crops=args.crops,
                            return_points5=True)
    except CameraImageSizeError as error:  # --camera-file of another image size
        sys.exit(f'error: {error}')
    faces = sum(len(p['scores']) for p in result['predictions'])
    print(f'{faces} faces in {len(result["predictions"])} images -> {args.out_dir}')
    if result['skipped']:
        total = len(result['predictions']) + len(result['skipped'])
        sys.exit(f'{len(result["skipped"])} of {total} images skipped (unreadable): ' +
                 ', '.join(f'{path} ({reason})' for path, reason in result['skipped']))


if __name__ == '__main__':
    main()
