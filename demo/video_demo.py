"""Detect faces and their 6DoF poses in a video or a webcam stream, follow each face with a
track ID and smoothed pose, and write the drawn video.

    python demo/video_demo.py VIDEO_OR_CAMERA_INDEX CONFIG --weights CKPT --out OUT.mp4
        [--device cpu] [--pred-score-thr | --score-thr 0.5] [--landmarks] [--mesh]
        [--max-frames N] [--no-smooth] [--rotation-filter MIN_CUTOFF BETA]
        [--translation-filter MIN_CUTOFF BETA] [--max-misses 5] [--new-track-score S]

Each face is drawn with its track ID (``#3 0.93``: ID and score), its box and pose axes from
its pose smoothed by the One Euro filter (``--no-smooth``: the detector's own, tracks only).
An ID survives up to ``--max-misses`` frames without a detection. A file's frames are timed
by its frame rate, a camera's by the clock. An integer input is a camera index (stop with
--max-frames or Ctrl-C).
"""
import sys
import time
from pathlib import Path

import cv2
from demo_utils import build_inferencer, demo_parser
from mmengine.utils import ProgressBar

from mmpose6d.geometry import CameraImageSizeError
from mmpose6d.tracking import ROTATION_FILTER, TRANSLATION_FILTER, FaceTracker


def parse_args():
    parser = demo_parser(__doc__, 'video', 'video file, or an integer camera index')
    parser.add_argument('--out', required=True, help='output video file (.mp4)')
    parser.add_argument('--max-frames', type=int, default=0, help='stop after N frames')
    parser.add_argument('--no-smooth', action='store_true',
                        help='draw the detected poses as they are (tracks only)')
    parser.add_argument('--rotation-filter', type=float, nargs=2,
                        default=(ROTATION_FILTER['min_cutoff'], ROTATION_FILTER['beta']),
                        metavar=('MIN_CUTOFF', 'BETA'),
                        help='One Euro filter of the rotations: cutoff at rest (Hz; lower '
                        'is smoother, lags more) and its rise per rad/s (default: %(default)s)')
    parser.add_argument('--translation-filter', type=float, nargs=2,
                        default=(TRANSLATION_FILTER['min_cutoff'], TRANSLATION_FILTER['beta']),
                        metavar=('MIN_CUTOFF', 'BETA'),
                        help='One Euro filter of the translations: cutoff at rest (Hz) and its '
                        'rise per distance per second (default: %(default)s)')
    parser.add_argument('--max-misses', type=int, default=5,
                        help='frames in a row a face may go undetected and keep its ID')
    parser.add_argument('--new-track-score', type=float, default=0.8,
                        help='the lowest score of a face that starts a track; faces above '
                        '--pred-score-thr continue tracks (default: %(default)s, as '
                        'tools/analysis_tools/benchmark_tracking.py: lower, partial-face '
                        'detections start short spurious tracks)')
    return parser.parse_args()


def open_capture(source):
    """A cv2.VideoCapture of a file path or a camera index; exits with a clear error."""
    capture = cv2.VideoCapture(int(source) if source.isdigit() else source)
    if not capture.isOpened():
        sys.exit(f'{source}: cannot open the video or camera')
    return capture


def tracking_args(args, fps):
    """The face tracker's arguments of the command line, checked (exits naming a bad one)."""
    tracking = dict(smooth=not args.no_smooth, fps=fps, max_misses=args.max_misses,
                    new_track_score=args.new_track_score)
    for name, defaults, values in (('rotation_filter', ROTATION_FILTER, args.rotation_filter),
                                   ('translation_filter', TRANSLATION_FILTER,
                                    args.translation_filter)):
        tracking[name] = dict(defaults, min_cutoff=values[0], beta=values[1])
    try:
        FaceTracker(**tracking)
    except ValueError as error:
        sys.exit(f'error: {error}')
    return tracking


def main():
    args = parse_args()
    capture = open_capture(args.video)
    camera = args.video.isdigit()
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    total = min(total, args.max_frames) if args.max_frames and total > 0 else total
    tracking = tracking_args(args, fps)
    inferencer = build_inferencer(args, show_progress=False)
    stream = inferencer.stream(pred_score_thr=args.pred_score_thr, **tracking)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    writer, frames, track_ids, start = None, 0, set(), time.monotonic()
    progress = ProgressBar(max(total, 0))
    try:
        while not args.max_frames or frames < args.max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            timestamp = time.monotonic() - start if camera else frames / fps
            faces = stream(frame, timestamp)
            track_ids.update(faces['track_ids'].tolist())
            drawn = stream.draw(frame, faces)
            if writer is None:
                writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                                         (drawn.shape[1], drawn.shape[0]))
            writer.write(drawn)
            frames += 1
            progress.update()
    except KeyboardInterrupt:
        pass
    except CameraImageSizeError as error:  # --camera-file of another frame size
        sys.exit(f'error: {error}')
    finally:
        capture.release()
        if writer is not None:
            writer.release()
    if not frames:
        sys.exit(f'{args.video}: no frame could be read')
    print(f'\n{frames} frames, {len(track_ids)} tracks -> {args.out}')


if __name__ == '__main__':
    main()
