"""Detect faces and their 6DoF poses in a video or a webcam stream, and write the drawn video.

    python demo/video_demo.py VIDEO_OR_CAMERA_INDEX CONFIG --weights CKPT --out OUT.mp4
        [--device cpu] [--pred-score-thr 0.5] [--mesh] [--max-frames N]

An integer input is a camera index (stop with --max-frames or Ctrl-C).
"""
import argparse
import sys
from pathlib import Path

import cv2
from mmengine.utils import ProgressBar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runs from a checkout

from mmpose6d.apis import Img2PoseInferencer  # noqa: E402
from mmpose6d.utils.checkpoint import TRUST_CHECKPOINT_HELP, CheckpointError  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('video', help='video file, or an integer camera index')
    parser.add_argument('config', help='model config file')
    parser.add_argument('--weights', required=True, help='checkpoint file')
    parser.add_argument('--out', required=True, help='output video file (.mp4)')
    parser.add_argument('--device', default=None, help='e.g. cpu or cuda:0 (default: auto)')
    parser.add_argument('--pred-score-thr', type=float, default=0.5)
    parser.add_argument('--mesh', action='store_true', help='draw a translucent face mesh')
    parser.add_argument('--max-frames', type=int, default=0, help='stop after N frames')
    parser.add_argument('--trust-checkpoint', action='store_true', help=TRUST_CHECKPOINT_HELP)
    return parser.parse_args()


def open_capture(source):
    """A cv2.VideoCapture of a file path or a camera index; exits with a clear error."""
    capture = cv2.VideoCapture(int(source) if source.isdigit() else source)
    if not capture.isOpened():
        sys.exit(f'{source}: cannot open the video or camera')
    return capture


def main():
    args = parse_args()
    capture = open_capture(args.video)
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    total = min(total, args.max_frames) if args.max_frames and total > 0 else total
    try:
        inferencer = Img2PoseInferencer(args.config, args.weights, device=args.device,
                                        show_progress=False,
                                        trust_checkpoint=args.trust_checkpoint)
    except CheckpointError as error:
        sys.exit(f'error: {error}')
    inferencer.visualizer.draw_mesh = args.mesh
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    writer, frames = None, 0
    progress = ProgressBar(max(total, 0))
    try:
        while not args.max_frames or frames < args.max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            drawn = inferencer(frame, return_vis=True, pred_score_thr=args.pred_score_thr,
                               no_save_vis=True)['visualization'][0][..., ::-1]
            if writer is None:
                writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                                         (drawn.shape[1], drawn.shape[0]))
            writer.write(drawn)
            frames += 1
            progress.update()
    except KeyboardInterrupt:
        pass
    finally:
        capture.release()
        if writer is not None:
            writer.release()
    if not frames:
        sys.exit(f'{args.video}: no frame could be read')
    print(f'\n{frames} frames -> {args.out}')


if __name__ == '__main__':
    main()
