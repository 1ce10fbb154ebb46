"""Head-pose errors on AFLW2000-3D and BIWI, as img2pose's evaluation notebooks compute them."""
import json

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmpose6d.geometry import box_iou, to_numpy, wrap_degrees
from mmpose6d.registry import METRICS

#: per selection rule, the notebook's score threshold and fallback (``'protocol'``)
PROTOCOL = dict(iou=dict(score_thr=0.0, fallback='last'),
                center=dict(score_thr=0.9, fallback='first'))
FALLBACKS = ('first', 'last', None)
TRANSLATION_KEYS = ('h_trans', 'v_trans', 'scale')


def _candidates(scores, score_thr):
    return np.ones(len(scores), bool) if score_thr is None else scores > score_thr


def select_by_iou(boxes, scores, gt_box, score_thr=0.0, min_iou=0.0, plus_one=True):
    """Index of the prediction with ``score > score_thr`` (all when None) whose IoU with
    ``gt_box`` (4,) is the highest, or None when no IoU exceeds ``min_iou``.

    As the AFLW2000-3D notebook: the best IoU so far starts at ``min_iou`` (0) and only a
    strictly greater one replaces it, so ties go to the first prediction in the model's order
    (highest score first) and a prediction that does not overlap is never picked;
    ``plus_one`` counts areas as ``(x2 - x1 + 1) * (y2 - y1 + 1)`` as its IoU does.
    """
    if not len(boxes):
        return None
    ious = box_iou(np.asarray(gt_box, np.float64)[None], boxes, plus_one=plus_one)[0]
    ious = np.where(_candidates(scores, score_thr), ious, -np.inf)
    best = int(ious.argmax())
    return best if ious[best] > min_iou else None


def select_by_center(boxes, scores, image_wh, score_thr=0.9):
    """Index of the prediction with ``score > score_thr`` (all when None) whose box centre is
    closest to the image centre, the first on ties, or None. Centres as in the BIWI notebook:
    ``x1 + (x2 - x1) // 2`` (floor division of the float box) and ``w // 2``."""
    keep = _candidates(scores, score_thr)
    if not keep.any():
        return None
    centres = boxes[:, :2] + (boxes[:, 2:] - boxes[:, :2]) // 2
    dist = np.linalg.norm(centres - np.asarray(image_wh, np.float64) // 2, axis=1)
    return int(np.where(keep, dist, np.inf).argmin())


@METRICS.register_module()
class HeadPoseMetric(BaseMetric):
    """Mean absolute errors of pitch, yaw and roll (degrees, AFLW convention) per image, by
    the protocol of img2pose's AFLW2000-3D and BIWI notebooks.

    Per image one detection is chosen and its Euler angles (the head's ``euler``:
    :func:`~mmpose6d.geometry.rotvec_to_euler` of its pose, the notebooks' conversion) are
    compared with the data sample's ``gt_euler`` (from
    :class:`~mmpose6d.datasets.AFLW2000Dataset` or :class:`~mmpose6d.datasets.BIWIDataset`,
    carried by ``PackPoseDetInputs``' ``extra_meta_keys``). Boxes are compared in the
    original image (``rescale=True`` predictions, as ``tools/test.py`` makes them).

    - ``selection='iou'`` (AFLW2000-3D): among the detections with score > ``score_thr``
      (the notebook's 0), the highest IoU with the sample's ``gt_bbox``, strictly above
      ``min_iou`` (0), the first on ties (:func:`select_by_iou`); ``iou_plus_one`` (the
      notebook's +1 pixel areas) False gives the continuous IoU.
    - ``selection='center'`` (BIWI): among the detections with score > ``score_thr`` (the
      notebook's 0.9), the box centre closest to the centre of the image (``ori_shape``)
      (:func:`select_by_center`).

    The notebooks' quirks, reproduced by default, each with its switch:

    - ``fallback``: the detection used when the rule picks none: ``'last'`` for 'iou' (the
      AFLW notebook evaluates the pose its loop saw last when no detection overlaps the
      target box), ``'first'`` for 'center' (the BIWI notebook's index starts at 0, the
      highest score, when no detection passes 0.9); such images are evaluated. None leaves
      them out, counted as ``missed``. ``'protocol'`` means the selection's own.
    - An image without any detection is a failure: counted (``failures``), left out.
    - Differences are plain ``|pred - gt|``; ``wrap_angles`` wraps them into [-180, 180).

    With ``with_translation`` (AFLW2000-3D) also ``h_trans``, ``v_trans``, ``scale``: the
    mean ``|pred - gt|`` of tx, ty, tz between the chosen pose's translation as predicted
    (``pred_instances.poses[:, 3:]``, in the camera of the network input like the
    original's) and the sample's ``gt_translation`` (PnP in the original image's camera).

    Reports ``yaw``, ``pitch``, ``roll``, ``mae`` (their mean), the translation errors,
    ``failures``, ``missed`` and ``evaluated`` (images in the errors); errors are NaN when
    nothing is evaluated. ``out_file`` (optional) gets a JSON list of each image's record:
    ``img_path``, ``how`` ('rule', 'fallback', 'failure', 'missed'), the detection ``index``
    and count, ``target`` and ``prediction`` as [pitch, yaw, roll(, tx, ty, tz)].
    """
    default_prefix = 'head_pose'

    def __init__(self,
                 selection='iou',
                 score_thr=None,
                 fallback='protocol',
                 min_iou=0.0,
                 iou_plus_one=True,
                 with_translation=False,
                 wrap_angles=False,
                 out_file=None,
                 collect_device='cpu',
                 prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if selection not in PROTOCOL:
            raise ValueError(f'selection must be one of {tuple(PROTOCOL)}, not {selection!r}')
        if fallback == 'protocol':
            fallback = PROTOCOL[selection]['fallback']
        if fallback not in FALLBACKS:
            raise ValueError(f"fallback must be one of {FALLBACKS} or 'protocol', not "
                             f'{fallback!r}')
        self.selection = selection
        self.score_thr = PROTOCOL[selection]['score_thr'] if score_thr is None else score_thr
        self.fallback = fallback
        self.min_iou = min_iou
        self.iou_plus_one = iou_plus_one
        self.with_translation = with_translation
        self.wrap_angles = wrap_angles
        self.out_file = out_file

    @staticmethod
    def _meta(sample, key):
        if key not in sample:
            raise KeyError(f'{sample.get("img_path", "a data sample")}: no {key!r} in the data '
                           f"sample; add {key!r} to PackPoseDetInputs' extra_meta_keys (see "
                           'configs/_base_/datasets/aflw2000.py)')
        return sample[key]

    def _choose(self, sample, boxes, scores):
        """(index, how) of the detection to evaluate; ``boxes`` is not empty."""
        if self.selection == 'iou':
            gt_box = to_numpy(self._meta(sample, 'gt_bbox'), np.float64).reshape(4)
            index = select_by_iou(boxes, scores, gt_box, self.score_thr, self.min_iou,
                                  self.iou_plus_one)
        else:
            height, width = sample['ori_shape'][:2]
            index = select_by_center(boxes, scores, (width, height), self.score_thr)
        if index is not None:
            return index, 'rule'
        if self.fallback is None:
            return None, 'missed'
        return (0 if self.fallback == 'first' else len(boxes) - 1), 'fallback'

    def process(self, data_batch, data_samples):
        """Keep each image's target and the chosen detection's angles (and translations)."""
        for sample in data_samples:
            target = to_numpy(self._meta(sample, 'gt_euler'), np.float64).reshape(3)
            if self.with_translation:
                target = np.concatenate([target, to_numpy(
                    self._meta(sample, 'gt_translation'), np.float64).reshape(3)])
            pred = sample['pred_instances']
            boxes = to_numpy(pred['bboxes'], np.float64).reshape(-1, 4)
            scores = to_numpy(pred['scores'], np.float64).reshape(-1)
            index, how = self._choose(sample, boxes, scores) if len(boxes) else (None,
                                                                                 'failure')
            prediction = None
            if index is not None:
                prediction = to_numpy(pred['euler'], np.float64).reshape(-1, 3)[index]
                if self.with_translation:
                    prediction = np.concatenate([prediction, to_numpy(
                        pred['poses'], np.float64).reshape(-1, 6)[index, 3:]])
            self.results.append(dict(img_path=sample.get('img_path'), how=how, index=index,
                                     detections=len(boxes), target=target,
                                     prediction=prediction))

    def compute_metrics(self, results):
        hits = [r for r in results if r['prediction'] is not None]
        counts = {how: sum(r['how'] == how for r in results)
                  for how in ('failure', 'missed', 'fallback')}
        keys = ('pitch', 'yaw', 'roll') + (TRANSLATION_KEYS if self.with_translation else ())
        if hits:
            predictions = np.stack([r['prediction'] for r in hits])
            diff = predictions - np.stack([r['target'] for r in hits])
            if self.wrap_angles:
                diff[:, :3] = wrap_degrees(diff[:, :3])
            errors = dict(zip(keys, np.abs(diff).mean(0).tolist()))
        else:
            errors = dict.fromkeys(keys, float('nan'))
        metrics = dict(yaw=errors['yaw'], pitch=errors['pitch'], roll=errors['roll'],
                       mae=float(np.mean([errors[k] for k in ('yaw', 'pitch', 'roll')])),
                       **{k: errors[k] for k in keys[3:]},
                       failures=counts['failure'], missed=counts['missed'],
                       evaluated=len(hits))
        logger = MMLogger.get_current_instance()
        if not hits:
            logger.warning(f'head pose: none of the {len(results)} images evaluated (no '
                           'detection chosen)')
        fallbacks = f' ({counts["fallback"]} by the {self.fallback} fallback)' \
            if self.fallback else ''
        logger.info(f'head pose ({self.selection}): {len(hits)} images evaluated{fallbacks}, '
                    f'{counts["failure"]} failures (no detection), {counts["missed"]} missed; '
                    + ', '.join(f'{k} {metrics[k]:.4f}' for k in ('yaw', 'pitch', 'roll', 'mae')
                                + keys[3:]))
        if self.out_file is not None:
            self._write(results)
            logger.info(f'head pose: per-image records written to {self.out_file}')
        return metrics

    def _write(self, results):
        records = [dict(r, target=r['target'].tolist(),
                        prediction=None if r['prediction'] is None else r['prediction'].tolist())
                   for r in results]
        with open(self.out_file, 'w') as f:
            json.dump(records, f, indent=1)
