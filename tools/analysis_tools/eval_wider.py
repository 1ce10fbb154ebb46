"""WIDER FACE val AP (easy / medium / hard) of a folder of official-format txt predictions.

The same numbers as the official tool's Python port (``widerface_evaluate/evaluation.py``);
see :mod:`mmpose6d.evaluation.functional.wider_face`. Needs only numpy and scipy.

Example::

    python tools/analysis_tools/eval_wider.py work_dirs/wider_txt data/wider_face_val_gt
"""
import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # runs from a checkout without `pip install -e .`

from mmpose6d.evaluation.functional import (evaluate_wider, load_wider_gt,  # noqa: E402
                                            read_pred_dir)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('pred_dir', help='folder of <event>/<image>.txt prediction files')
    parser.add_argument('gt_dir', help='folder with wider_{face,easy,medium,hard}_val.mat')
    parser.add_argument('--iou-thr', type=float, default=0.5, help='IoU for a match')
    return parser.parse_args()


def main():
    args = parse_args()
    aps = evaluate_wider(read_pred_dir(args.pred_dir), load_wider_gt(args.gt_dir), args.iou_thr)
    print('==================== Results ====================')
    print(f"Easy   Val AP: {aps['easy']:.4f}")
    print(f"Medium Val AP: {aps['medium']:.4f}")
    print(f"Hard   Val AP: {aps['hard']:.4f}")
    print('=================================================')


if __name__ == '__main__':
    main()
