"""WIDER FACE val AP (easy / medium / hard) of a folder of official-format txt predictions.

The same numbers as the official tool's Python port (``widerface_evaluate/evaluation.py``);
see :mod:`mmpose6d.evaluation.functional.wider_face`. Needs neither mmdet nor mmengine.

Predictions that lack images or whole events of the ground truth are an error (they would
count as images where nothing was found; ``--allow-missing`` evaluates them so); predicted
images outside the ground truth, boxes of negative size and all-equal scores are warned
about with counts. The results say how many images were evaluated.

Example::

    python tools/analysis_tools/eval_wider.py work_dirs/wider_txt data/wider_face_val_gt
"""
import argparse
import sys

from mmpose6d.evaluation.functional import (check_predictions, evaluate_wider, load_wider_gt,
                                            read_pred_dir)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('pred_dir', help='folder of <event>/<image>.txt prediction files')
    parser.add_argument('gt_dir', help='folder with wider_{face,easy,medium,hard}_val.mat')
    parser.add_argument('--iou-thr', type=float, default=0.5, help='IoU for a match')
    parser.add_argument('--allow-missing', action='store_true',
                        help='evaluate predictions that lack ground-truth images or events '
                        '(they count as images where nothing was found)')
    return parser.parse_args()


def main():
    args = parse_args()
    preds, gt = read_pred_dir(args.pred_dir), load_wider_gt(args.gt_dir)
    evaluated, problems = check_predictions(preds, gt)
    for kind, message in problems.items():
        if kind != 'missing' or args.allow_missing:
            print(f'warning: {args.pred_dir}: {message}', file=sys.stderr)
    if 'missing' in problems and not args.allow_missing:
        sys.exit(f'error: {args.pred_dir}: {problems["missing"]}; pass --allow-missing to '
                 'evaluate them so')
    aps = evaluate_wider(preds, gt, args.iou_thr)
    print('==================== Results ====================')
    print(f"Easy   Val AP: {aps['easy']:.4f}")
    print(f"Medium Val AP: {aps['medium']:.4f}")
    print(f"Hard   Val AP: {aps['hard']:.4f}")
    print(f'on {evaluated} of the {len(gt)} val images')
    print('=================================================')


if __name__ == '__main__':
    main()
