"""The validation metrics of a training run, per evaluation point, with the training time.

    python tools/analysis_tools/learning_curve.py WORK_DIR [--metrics face_pose/AP50 ...]

Reads the newest ``WORK_DIR/<timestamp>/vis_data/scalars.json`` mmengine wrote. An
evaluation point's iteration is its ``step`` when the run logged metrics by iteration
(``LoggerHook(log_metric_by_epoch=False)``), else the last logged training iteration. Its
training time is the sum of the logged seconds per iteration over the iterations before it
(those after the last logged one at its rate; validation excluded).
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
    points, iteration, seconds, rate = [], 0, 0.0, 0.0
    for line in logs[-1].read_text().splitlines():
        record = json.loads(line)
        if 'loss' in record:  # a training log line: `time` s/iter since the previous one
            rate = record['time']
            seconds += rate * (record['iter'] - iteration)
            iteration = record['iter']
        elif any('/' in key for key in record):
            at = max(iteration, record.get('step', 0))
            points.append((at, seconds + rate * (at - iteration), record))
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
