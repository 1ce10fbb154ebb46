"""Detect faces and their 6DoF poses in a video or a webcam stream, and write the drawn video.

    python demo/video_demo.py VIDEO_OR_CAMERA_INDEX CONFIG --weights CKPT --out OUT.mp4
        [--device cpu] [--pred-score-thr | --score-thr 0.5] [--landmarks] [--mesh]
        [--max-frames N]

An integer input is a camera index (stop with --max-frames or Ctrl-C).
"""
import sys
from pathlib import Path

import cv2
from demo_utils import build_inferencer, demo_parser
from mmengine.utils import ProgressBar


def parse_args():
    parser = demo_parser(__doc__, 'video', 'video file, or an integer camera index')
    parser.add_argument('--out', required=True, help='output video file (.mp4)')
    parser.add_argument('--max-frames', type=int, default=0, help='stop after N frames')
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
    inferencer = build_inferencer(args, show_progress=False)
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
