"""The test metrics of several ``tools/test.py`` runs side by side, one row per split.

    python tools/analysis_tools/compare_test_metrics.py NAME=WORK_DIR [NAME=WORK_DIR ...] \
        [--metrics face_pose/AP50 ...]

Reads the newest ``WORK_DIR/<timestamp>/<timestamp>.json`` mmengine's test loop wrote (the
metrics of the run whose ``--work-dir`` was ``WORK_DIR``).
"""
import argparse
import json
import sys
from pathlib import Path

DEFAULT_METRICS = ('face_pose/AP50', 'face_pose/pitch', 'face_pose/yaw', 'face_pose/roll',
                   'face_pose/mae', 'face_pose/rot_err', 'face_pose/trans_err')


def test_metrics(work_dir):
    """The metrics dict of the newest test run in ``work_dir``."""
    runs = sorted(p for p in Path(work_dir).glob('*/*.json') if p.stem == p.parent.name)
    if not runs:
        raise FileNotFoundError(f'{work_dir}: no <timestamp>/<timestamp>.json (not a work dir '
                                'of tools/test.py?)')
    return json.loads(runs[-1].read_text())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('runs', nargs='+', metavar='NAME=WORK_DIR')
    parser.add_argument('--metrics', nargs='+', default=list(DEFAULT_METRICS))
    args = parser.parse_args(argv)
    rows = []
    for run in args.runs:
        name, sep, work_dir = run.partition('=')
        if not sep or not name or not work_dir:
            sys.exit(f'error: {run!r} is not NAME=WORK_DIR')
        try:
            rows.append((name, test_metrics(work_dir)))
        except FileNotFoundError as error:
            sys.exit(f'error: {error}')
    names = [m.split('/')[-1] for m in args.metrics]
    width = max(9, *(len(name) for name, _ in rows))
    print(f'{"split":>{width}s} ' + ' '.join(f'{n:>9s}' for n in names))
    for name, record in rows:
        values = ' '.join(f'{record[m]:9.3f}' if m in record else f'{"-":>9s}'
                          for m in args.metrics)
        print(f'{name:>{width}s} {values}')


if __name__ == '__main__':
    main()
