"""WIDER FACE val AP (easy / medium / hard) as an mmengine metric, for ``tools/test.py``."""
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmpose6d.evaluation.functional import (SETTINGS, check_predictions, evaluate_wider,
                                            load_wider_gt, write_pred_dir)
from mmpose6d.geometry import to_numpy
from mmpose6d.registry import METRICS


@METRICS.register_module()
class WiderFaceMetric(BaseMetric):
    """AP by the official WIDER FACE protocol (:func:`~mmpose6d.evaluation.evaluate_wider`).

    Args:
        gt_dir (str): folder with ``wider_{face,easy,medium,hard}_val.mat``.
        iou_thr (float): IoU for a match. Defaults to 0.5.
        outfile_prefix (str, optional): also write the official txt submission,
            ``<outfile_prefix>/<event>/<image>.txt``, for the official tool or
            ``tools/analysis_tools/eval_wider.py``.

    The event and image name come from ``img_path`` (``.../<event>/<image>.jpg``). Each image
    is kept as a small (N, 5) ``x, y, w, h, score`` array, gathered across ranks before the
    scores are normalised over the whole set. Ground-truth images without results count as
    having no predictions; they, predicted images outside the ground truth, boxes of negative
    size and all-equal scores are logged as warnings with counts
    (:func:`~mmpose6d.evaluation.functional.check_predictions`), and ``num_images`` gives the
    number of ground-truth images evaluated.
    """
    default_prefix: Optional[str] = 'widerface'

    def __init__(self,
                 gt_dir: str,
                 iou_thr: float = 0.5,
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.gt_dir = gt_dir
        self.iou_thr = iou_thr
        self.outfile_prefix = outfile_prefix

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep each sample's event, image name and boxes as ``x, y, w, h, score``."""
        for sample in data_samples:
            path = Path(sample['img_path'])
            pred = sample['pred_instances']
            bboxes = to_numpy(pred['bboxes'], np.float64).reshape(-1, 4)
            scores = to_numpy(pred['scores'], np.float64).reshape(-1, 1)
            dets = np.concatenate([bboxes[:, :2], bboxes[:, 2:] - bboxes[:, :2], scores], 1)
            self.results.append(dict(event=path.parent.name, name=path.stem, dets=dets))

    def compute_metrics(self, results: list) -> dict:
        """AP per setting and the images evaluated -> ``dict(easy=, medium=, hard=,
        num_images=)``."""
        logger = MMLogger.get_current_instance()
        preds = {}
        for result in results:
            preds.setdefault(result['event'], {})[result['name']] = result['dets']
        gt = load_wider_gt(self.gt_dir)
        evaluated, problems = check_predictions(preds, gt)
        for message in problems.values():
            logger.warning(f'WIDER FACE ({self.gt_dir}): {message}')
        if self.outfile_prefix is not None:
            write_pred_dir(preds, self.outfile_prefix)
            logger.info(f'WIDER FACE predictions written to {self.outfile_prefix}')
        aps = evaluate_wider(preds, gt, self.iou_thr)
        logger.info(f'WIDER FACE val AP on {evaluated} of {len(gt)} images: ' +
                    ', '.join(f'{s} {aps[s]:.4f}' for s in SETTINGS))
        return dict(aps, num_images=evaluated)
