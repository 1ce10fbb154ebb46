"""Face tracks and pose smoothing on a rendered video with known smooth poses: jitter, error,
lag, ID switches and lost frames, with and without smoothing.

    python tools/analysis_tools/benchmark_tracking.py \
        [--config configs/img2pose/r18_fpn_rendered_cpu.py] \
        [--checkpoint work_dirs/quickstart/iter_1000.pth] [--frames 150] [--fps 30] \
        [--faces 2] [--seed 0] [--score-thr 0.5] [--new-track-score 0.8] \
        [--rotation-filter 1.0 1.0] [--translation-filter 1.0 0.3] [--device cpu]

The scan (``mmpose6d.synthesis``) is rendered into every frame of a static photograph
background (sensor noise per frame) with poses that are smooth functions of time: face 1
sweeps its yaw to +-80 degrees and back, its pitch and roll oscillate and it drifts sideways
and in depth; face 2 turns less, with other periods. The detector runs once per frame; its
predictions then go through two :class:`~mmpose6d.apis.FaceStream` trackers, one with the
pose smoothing (the given filters), one without (tracks only); detections scoring under
``--new-track-score`` continue tracks but start none (the quick-start model's partial-face
detections score up to 0.7, its faces 0.81 or more in 95 % of the frames). Against the
render poses:

- rotation error: the geodesic angle (degrees), mean over the frames and over the faster
  third of the frames (true angular speed);
- translation error: the distance (mm: the scan's decimetres times 100);
- jitter: RMS of the frame-to-frame change of the error (rotation: the rotation vector of
  ``R_true^T R``, degrees; translation: mm), what smoothing removes;
- lag: the shift (frames, in steps of 0.1) of the true trajectory that the tracked rotations
  fit best (mean angle); the mean error at that shift;
- tracks started (one per face when nothing goes wrong; also when every detection may start
  one), ID switches (a face's tracked ID changes from one detected frame to the next) and
  lost face-frames (a rendered face with no tracked face over it at IoU 0.3).
"""
import argparse

import numpy as np
from scipy.optimize import linear_sum_assignment

from mmpose6d.apis import Img2PoseInferencer
from mmpose6d.geometry import (FaceModel, box_iou, euler_to_rotvec, image_intrinsics,
                               relative_rotvec, rotation_angle_deg)
from mmpose6d.synthesis import FaceScan, photo_background, render_face
from mmpose6d.synthesis.scan import MM_TO_DM
from mmpose6d.tracking import ROTATION_FILTER, TRANSLATION_FILTER

#: per face: yaw, pitch, roll amplitudes (degrees) and periods (s), phases (turns); centre
#: (fractions of the image) and sideways drift (fractions per s); head height (px) and the
#: depth's relative swing and period (s)
MOTIONS = (
    dict(amplitude=(80, 20, 15), period=(5.0, 3.3, 4.1), phase=(0.0, 0.1, 0.3),
         centre=(0.32, 0.5), drift=(0.03, 0.01), head=150, depth=(0.15, 6.0)),
    dict(amplitude=(50, 15, 20), period=(4.3, 2.9, 3.7), phase=(0.5, 0.7, 0.2),
         centre=(0.74, 0.45), drift=(-0.02, 0.015), head=115, depth=(0.1, 4.5)),
)
IMAGE_WH = (512, 384)
#: the IoU at which a tracked face covers a rendered one
MATCH_IOU = 0.3


def true_poses(times, motion, head_height):
    """Render poses (T,6) of one face at ``times`` (T,) seconds: smooth functions of time.
    ``head_height`` is the scan's vertical extent (reference units)."""
    times = np.asarray(times, np.float64)[:, None]
    amplitude, period, phase = (np.asarray(motion[key], np.float64)
                                for key in ('amplitude', 'period', 'phase'))
    yaw, pitch, roll = (amplitude * np.sin(2 * np.pi * (times / period + phase))).T
    rotvecs = euler_to_rotvec(np.stack([pitch, yaw, roll], 1))
    intrinsics = image_intrinsics(*IMAGE_WH)
    focal = intrinsics[0, 0]
    swing, swing_period = motion['depth']
    tz = focal * head_height / motion['head'] * (1 + swing *
                                                 np.sin(2 * np.pi * times[:, 0] / swing_period))
    centre = (np.asarray(motion['centre']) + np.asarray(motion['drift']) * times) * IMAGE_WH
    lateral = (centre - intrinsics[:2, 2]) * tz[:, None] / focal
    return np.concatenate([rotvecs, lateral, tz[:, None]], 1)


def render_sequence(scan, frames, fps, num_faces, seed):
    """The frames (BGR) and the render poses (F,T,6) of the sequence."""
    rng = np.random.default_rng(seed)
    width, height = IMAGE_WH
    background = photo_background(rng, height, width, 'other')
    head_height = np.ptp(scan.vertices[:, 1])
    poses = np.stack([true_poses(np.arange(frames) / fps, motion, head_height)
                      for motion in MOTIONS[:num_faces]])
    lights = rng.uniform((-1, -1, -1.5), (1, 0.5, -0.3), (num_faces, 3))
    intrinsics = image_intrinsics(width, height)
    images = []
    for t in range(frames):
        image = background.copy()
        for face in np.argsort(-poses[:, t, 5]):  # far first
            render_face(image, scan, poses[face, t], intrinsics, light=lights[face],
                        ambient=0.5)
        noise = rng.normal(0, 3, image.shape)
        images.append(np.clip(image + noise, 0, 255).astype(np.uint8))
    return images, poses


def follow_faces(outputs, true_boxes):
    """Per rendered face (F,T): the index of the tracked face over it in each frame (-1: none),
    by the assignment of most overlap at IoU >= :data:`MATCH_IOU`."""
    faces, frames = true_boxes.shape[:2]
    matched = np.full((faces, frames), -1)
    for t, out in enumerate(outputs):
        if not len(out['track_ids']):
            continue
        iou = box_iou(true_boxes[:, t], np.asarray(out['bboxes'], np.float64).reshape(-1, 4))
        rows, cols = linear_sum_assignment(-iou)
        good = iou[rows, cols] >= MATCH_IOU
        matched[rows[good], t] = cols[good]
    return matched


def measure(outputs, truth, matched, fps, motion_truth):
    """The figures of one tracker's ``outputs`` against the render poses ``truth`` (F,T,6);
    ``motion_truth(face, times)`` gives the true poses at any times (for the lag)."""
    rot_err, trans_err, rot_jitter, trans_jitter, fast_err = [], [], [], [], []
    switches, lost, lag_count = 0, 0, 0
    shifts = np.arange(0, 10.01, 0.1)
    lag_errors = np.zeros(len(shifts))
    speed = np.stack([rotation_angle_deg(face[:-1, :3], face[1:, :3]) for face in truth])
    fast = np.zeros(truth.shape[:2], bool)
    fast[:, 1:] = speed > np.quantile(speed, 2 / 3)
    for face, columns in enumerate(matched):
        frames = np.flatnonzero(columns >= 0)
        lost += len(columns) - len(frames)
        if not len(frames):
            continue
        estimates = np.stack([outputs[t]['smoothed_poses'][columns[t]] for t in frames])
        ids = np.array([outputs[t]['track_ids'][columns[t]] for t in frames])
        switches += int((ids[1:] != ids[:-1]).sum())
        true = truth[face, frames]
        angle = rotation_angle_deg(true[:, :3], estimates[:, :3])
        rot_err.append(angle)
        fast_err.append(angle[fast[face, frames]])
        trans_err.append(np.linalg.norm(estimates[:, 3:] - true[:, 3:], axis=1) / MM_TO_DM)
        consecutive = np.flatnonzero(np.diff(frames) == 1)
        rot_error_vec = np.rad2deg(relative_rotvec(true[:, :3], estimates[:, :3]))
        trans_error_vec = (estimates[:, 3:] - true[:, 3:]) / MM_TO_DM
        rot_jitter.append(np.linalg.norm(np.diff(rot_error_vec, axis=0)[consecutive], axis=1))
        trans_jitter.append(np.linalg.norm(np.diff(trans_error_vec, axis=0)[consecutive],
                                           axis=1))
        for k, shift in enumerate(shifts):
            shifted = motion_truth(face, (frames - shift) / fps)
            lag_errors[k] += rotation_angle_deg(shifted[:, :3], estimates[:, :3]).sum()
        lag_count += len(frames)
    best = int(np.argmin(lag_errors))
    lag, lag_error = (shifts[best], lag_errors[best] / lag_count) if lag_count else \
        (np.nan, np.nan)

    def mean(parts, power=1):
        """The mean of the ``power``-th powers of the values, to the ``1 / power`` (NaN for
        no values: no face was ever tracked)."""
        values = np.concatenate(parts + [np.zeros(0)])
        return float(np.mean(values**power)**(1 / power)) if len(values) else float('nan')

    return {
        'tracks started': len(np.unique(np.concatenate([out['track_ids'] for out in outputs]))),
        'lost face-frames': lost,
        'ID switches': switches,
        'rotation error mean (deg)': mean(rot_err),
        'rotation error, fastest third (deg)': mean(fast_err),
        'rotation jitter RMS (deg/frame)': mean(rot_jitter, 2),
        'translation error mean (mm)': mean(trans_err),
        'translation jitter RMS (mm/frame)': mean(trans_jitter, 2),
        'lag (frames)': float(lag),
        'rotation error at that lag (deg)': float(lag_error),
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default='configs/img2pose/r18_fpn_rendered_cpu.py')
    parser.add_argument('--checkpoint', default='work_dirs/quickstart/iter_1000.pth')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--frames', type=int, default=150)
    parser.add_argument('--fps', type=float, default=30.0)
    parser.add_argument('--faces', type=int, default=2, choices=range(1, len(MOTIONS) + 1))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--score-thr', type=float, default=0.5,
                        help="the inferencer's score threshold")
    parser.add_argument('--new-track-score', type=float, default=0.8,
                        help='the lowest score of a detection that starts a track')
    parser.add_argument('--rotation-filter', type=float, nargs=2,
                        metavar=('MIN_CUTOFF', 'BETA'),
                        help='the rotation filter (default: FaceTracker\'s)')
    parser.add_argument('--translation-filter', type=float, nargs=2,
                        metavar=('MIN_CUTOFF', 'BETA'),
                        help='the translation filter (default: FaceTracker\'s)')
    parser.add_argument('--max-misses', type=int, default=5)
    parser.add_argument('--cache-dir', default='data/cache', help='where the scan is fetched')
    return parser.parse_args(argv)


def filters(args):
    """The tracker's filter arguments: the command line's, else the tracker's defaults."""
    out = dict(rotation_filter=ROTATION_FILTER, translation_filter=TRANSLATION_FILTER)
    for name in out:
        value = getattr(args, name)
        if value:
            out[name] = dict(out[name], min_cutoff=value[0], beta=value[1])
    return out


def main(argv=None):
    args = parse_args(argv)
    scan = FaceScan.fetch(args.cache_dir)
    images, truth = render_sequence(scan, args.frames, args.fps, args.faces, args.seed)
    inferencer = Img2PoseInferencer(args.config, args.checkpoint, device=args.device,
                                    show_progress=False)
    predictions = [inferencer(image, pred_score_thr=args.score_thr)['predictions'][0]
                   for image in images]
    face_model = FaceModel.build(inferencer.model.face_model)
    true_boxes = np.stack([face_model.boxes(poses, IMAGE_WH) for poses in truth])
    head_height = np.ptp(scan.vertices[:, 1])

    def motion_truth(face, times):
        return true_poses(times, MOTIONS[face], head_height)

    def track(**settings):
        stream = inferencer.stream(pred_score_thr=args.score_thr, fps=args.fps,
                                   max_misses=args.max_misses, **settings)
        outputs = [stream.track(p, t / args.fps) for t, p in enumerate(predictions)]
        return measure(outputs, truth, follow_faces(outputs, true_boxes), args.fps,
                       motion_truth)

    variants = {'raw': dict(smooth=False), 'smoothed': dict(smooth=True, **filters(args))}
    results = {name: track(new_track_score=args.new_track_score, **settings)
               for name, settings in variants.items()}
    for name, settings in variants.items():
        results[name]['tracks started, any score starting one'] = track(
            new_track_score=0.0, **settings)['tracks started']
    speed = np.concatenate([rotation_angle_deg(face[:-1, :3], face[1:, :3]) for face in truth])
    print(f'{args.frames} frames at {args.fps:g} fps, {args.faces} faces, {IMAGE_WH[0]}x'
          f'{IMAGE_WH[1]}, seed {args.seed}; {args.checkpoint}, score > {args.score_thr}, '
          f'new tracks from {args.new_track_score}')
    print(f'true rotation per frame: mean {speed.mean():.2f} deg, max {speed.max():.2f} deg; '
          f'{sum(len(p["scores"]) for p in predictions)} detections in '
          f'{args.frames * args.faces} face-frames')
    print(f'filters: rotation {variants["smoothed"]["rotation_filter"]}, translation '
          f'{variants["smoothed"]["translation_filter"]}')
    print(f'{"":40s}{"raw":>10s}{"smoothed":>10s}{"ratio":>8s}')
    for key in results['raw']:
        raw, smooth = results['raw'][key], results['smoothed'][key]
        ratio = f'{raw / smooth:8.2f}' if 'jitter' in key and smooth else ''
        print(f'{key:40s}{raw:10.3f}{smooth:10.3f}{ratio}' if isinstance(raw, float) else
              f'{key:40s}{raw:10d}{smooth:10d}')


if __name__ == '__main__':
    main()
