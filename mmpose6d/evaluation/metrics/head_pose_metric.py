"""Head-pose Euler MAE on AFLW2000-3D and BIWI, by img2pose's evaluation protocol."""
import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmpose6d.geometry import box_iou, to_numpy, wrap_degrees
from mmpose6d.registry import METRICS

SELECTIONS = ('iou', 'center')


def select_by_iou(boxes, scores, gt_box, score_thr=None, min_iou=0.0):
    """Index of the prediction with the highest IoU against ``gt_box`` (4,), or None.

    Only predictions with ``score > score_thr`` (all when None) count; None also when the
    best IoU is below ``min_iou``. Ties (e.g. nothing overlaps) go to the first prediction in
    the given order (the model's: highest score first).
    """
    keep = np.ones(len(boxes), bool) if score_thr is None else scores > score_thr
    if not keep.any():
        return None
    ious = np.where(keep, box_iou(np.asarray(gt_box, np.float64)[None], boxes)[0], -1.0)
    best = int(ious.argmax())
    return None if ious[best] < min_iou else best


def select_by_center(boxes, scores, image_wh, score_thr=0.9):
    """Index of the prediction with ``score > score_thr`` whose box centre is closest to the
    image centre, or None. Centres as in img2pose: ``x1 + (x2 - x1) // 2``, ``w // 2``."""
    keep = np.ones(len(boxes), bool) if score_thr is None else scores > score_thr
    if not keep.any():
        return None
    centres = boxes[:, :2] + (boxes[:, 2:] - boxes[:, :2]) // 2
    dist = np.linalg.norm(centres - np.asarray(image_wh, np.float64) // 2, axis=1)
    return int(np.where(keep, dist, np.inf).argmin())


@METRICS.register_module()
class HeadPoseMetric(BaseMetric):
    """Mean absolute error of pitch, yaw and roll (degrees, AFLW convention) per image.

    Per image one prediction is chosen and its Euler angles (the head's ``euler``,
    :func:`~mmpose6d.geometry.rotvec_to_euler` of its pose) compared with the data sample's
    ``gt_euler`` (pitch, yaw, roll, from :class:`~mmpose6d.datasets.AFLW2000Dataset` or
    :class:`~mmpose6d.datasets.BIWIDataset`, carried by ``PackPoseDetInputs``'
    ``extra_meta_keys``):

    - ``selection='iou'`` (AFLW2000-3D): the highest IoU with the sample's ``gt_bbox`` (the
      extent of the 68 gt points), in the original image (``rescale=True`` predictions).
    - ``selection='center'`` (BIWI): among predictions with score > ``score_thr`` (default
      0.9), the box centre closest to the image centre (``ori_shape``).

    ``score_thr`` None means the protocol's: none for 'iou', 0.9 for 'center'. Images where
    nothing is chosen (no prediction, none above the threshold, best IoU below ``min_iou``)
    are skipped as in img2pose's evaluation: they are counted as ``missed`` and left out of
    the MAE. Differences are plain ``|pred - gt|`` as in the original; ``wrap_angles`` wraps
    them into [-180, 180) first.

    Reports ``pitch``, ``yaw``, ``roll``, ``mae`` (their mean), ``missed`` and ``evaluated``
    (images in the MAE); MAEs are NaN when every image is missed.
    """
    default_prefix = 'head_pose'

    def __init__(self,
                 selection='iou',
                 score_thr=None,
                 min_iou=0.0,
                 wrap_angles=False,
                 collect_device='cpu',
                 prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if selection not in SELECTIONS:
            raise ValueError(f'selection must be one of {SELECTIONS}, not {selection!r}')
        self.selection = selection
        self.score_thr = (0.9 if selection == 'center' else None) if score_thr is None \
            else score_thr
        self.min_iou = min_iou
        self.wrap_angles = wrap_angles

    @staticmethod
    def _meta(sample, key):
        if key not in sample:
            raise KeyError(f'{sample.get("img_path", "a data sample")}: no {key!r} in the data '
                           f"sample; add {key!r} to PackPoseDetInputs' extra_meta_keys (see "
                           'configs/_base_/datasets/aflw2000.py)')
        return sample[key]

    def _choose(self, sample, boxes, scores):
        if self.selection == 'iou':
            gt_box = to_numpy(self._meta(sample, 'gt_bbox'), np.float64).reshape(4)
            return select_by_iou(boxes, scores, gt_box, self.score_thr, self.min_iou)
        height, width = sample['ori_shape'][:2]
        return select_by_center(boxes, scores, (width, height), self.score_thr)

    def process(self, data_batch, data_samples):
        """Keep each image's gt angles and the chosen prediction's angles (None: missed)."""
        for sample in data_samples:
            gt = to_numpy(self._meta(sample, 'gt_euler'), np.float64).reshape(3)
            pred = sample['pred_instances']
            boxes = to_numpy(pred['bboxes'], np.float64).reshape(-1, 4)
            scores = to_numpy(pred['scores'], np.float64).reshape(-1)
            index = self._choose(sample, boxes, scores)
            euler = None
            if index is not None:
                euler = to_numpy(pred['euler'], np.float64).reshape(-1, 3)[index]
            self.results.append(dict(img_path=sample.get('img_path'), gt=gt, pred=euler))

    def compute_metrics(self, results):
        hits = [r for r in results if r['pred'] is not None]
        missed = len(results) - len(hits)
        if hits:
            diff = np.stack([r['pred'] for r in hits]) - np.stack([r['gt'] for r in hits])
            if self.wrap_angles:
                diff = wrap_degrees(diff)
            pitch, yaw, roll = np.abs(diff).mean(0)
        else:
            pitch = yaw = roll = float('nan')
        metrics = dict(yaw=float(yaw), pitch=float(pitch), roll=float(roll),
                       mae=float(np.mean([yaw, pitch, roll])), missed=missed,
                       evaluated=len(hits))
        logger = MMLogger.get_current_instance()
        if not hits:
            logger.warning(f'head pose: all {missed} images missed (no prediction chosen)')
        logger.info(f'head pose ({self.selection}): {len(hits)} images evaluated, {missed} '
                    'missed; ' + ', '.join(f'{k} {metrics[k]:.4f}'
                                           for k in ('yaw', 'pitch', 'roll', 'mae')))
        return metrics
