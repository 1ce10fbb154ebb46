"""The validation metrics of a training run, per evaluation point, with the training time.

    python tools/analysis_tools/learning_curve.py WORK_DIR [--metrics face_pose/AP50 ...]

Reads the newest ``WORK_DIR/<timestamp>/vis_data/scalars.json`` mmengine wrote. The
training time of an evaluation point is the sum, over the logged training iterations before
it, of their logged seconds per iteration (validation excluded).
"""
import argparse
import json
import sys
from pathlib import Path

DEFAULT_METRICS = ('face_pose/AP50', 'face_pose/pitch', 'face_pose/yaw', 'face_pose/roll',
                   'face_pose/mae', 'face_pose/rot_err', 'face_pose/trans_err')


def learning_curve(work_dir):
    """[(iteration, training seconds, {metric: value})] of the newest run in ``work_dir``."""
    logs = sorted(Path(work_dir).glob('*/vis_data/scalars.json'))
    if not logs:
        raise FileNotFoundError(f'{work_dir}: no */vis_data/scalars.json (not a work dir of '
                                'tools/train.py?)')
    points, iteration, seconds = [], 0, 0.0
    for line in logs[-1].read_text().splitlines():
        record = json.loads(line)
        if 'loss' in record:  # a training log line: `time` s/iter since the previous one
            seconds += record['time'] * (record['iter'] - iteration)
            iteration = record['iter']
        elif any('/' in key for key in record):
            points.append((iteration, seconds, record))
    return points


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dir')
    parser.add_argument('--metrics', nargs='+', default=list(DEFAULT_METRICS))
    args = parser.parse_args(argv)
    try:
        points = learning_curve(args.work_dir)
    except FileNotFoundError as error:
        sys.exit(f'error: {error}')
    names = [m.split('/')[-1] for m in args.metrics]
    print(f'{"iteration":>9s} {"train min":>9s} ' + ' '.join(f'{n:>9s}' for n in names))
    for iteration, seconds, record in points:
        values = ' '.join(f'{record[m]:9.3f}' if m in record else f'{"-":>9s}'
                          for m in args.metrics)
        print(f'{iteration:9d} {seconds / 60:9.1f} {values}')


if __name__ == '__main__':
    main()
