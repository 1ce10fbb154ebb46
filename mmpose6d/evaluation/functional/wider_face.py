"""WIDER FACE evaluation (easy / medium / hard AP), numerically equal to the reference port.

The reference is the Python port of the official MATLAB tool that RetinaFace and others ship
(``widerface_evaluate/evaluation.py``). This is the same algorithm, vectorised per image, with
its conventions kept on purpose, because published WIDER FACE numbers come from it:

* scores are min-max normalised over all predictions of all images, with the running min
  starting at 1 and the running max at 0 (which matters only when all scores are above 1 or
  all below 0); when min and max coincide (a single score value, within [0, 1]) the port
  divides 0 by 0, no prediction passes any threshold and AP is 0;
* per image, predictions are taken in descending score order (the official MATLAB reader
  sorts them; the port relies on the files being sorted);
* boxes are ``x, y, w, h`` turned into ``x1, y1, x1 + w, y1 + h``, and IoU counts "+1" pixel
  areas;
* each prediction, in order, is matched to its max-IoU face: a match (IoU >= thr) to a face
  outside the setting's keep list makes it neither TP nor FP, a first match to a kept face is a
  TP, a repeated match counts as a proposal (FP);
* 1000 thresholds ``1 - (k + 1) / 1000``; proposals and TPs are summed over images, precision
  is TP / proposals, recall is TP / number of kept faces, AP is the VOC area under the monotone
  precision envelope.

numpy / scipy and :mod:`mmpose6d.geometry`'s box IoU, so predictions can be scored without
mmdet or mmengine.
"""
from pathlib import Path
from typing import Dict, List, NamedTuple

import numpy as np
from scipy.io import loadmat

from mmpose6d.geometry import box_iou

SETTINGS = ('easy', 'medium', 'hard')
THRESH_NUM = 1000
# Scores >= THRESHOLDS[k] are kept at the k-th point of the PR curve, as in the port.
THRESHOLDS = 1 - np.arange(1, THRESH_NUM + 1) / THRESH_NUM


class WiderImage(NamedTuple):
    """Ground truth of one val image: all its faces and, per setting, the faces it counts."""
    event: str
    name: str
    boxes: np.ndarray  # (K, 4) float64 x, y, w, h
    keep: Dict[str, np.ndarray]  # setting -> 0-based indices into ``boxes``


def load_wider_gt(gt_dir) -> List[WiderImage]:
    """Read the official ``wider_{face,easy,medium,hard}_val.mat`` files from ``gt_dir``."""
    gt_dir = Path(gt_dir)
    mats = {}
    for key in ('face', ) + SETTINGS:
        path = gt_dir / f'wider_{key}_val.mat'
        if not path.is_file():
            raise FileNotFoundError(f'WIDER FACE ground truth file not found: {path}')
        mats[key] = loadmat(str(path))
    face = mats['face']
    images = []
    for i, event_cell in enumerate(face['event_list'][:, 0]):
        event = str(event_cell[0])
        for j, name_cell in enumerate(face['file_list'][i, 0][:, 0]):
            boxes = face['face_bbx_list'][i, 0][j, 0].astype(np.float64).reshape(-1, 4)
            keep = {}
            for setting in SETTINGS:
                # 1-based, stored as uint8/uint16: widen before subtracting.
                index = mats[setting]['gt_list'][i, 0][j, 0].astype(np.int64).ravel() - 1
                if len(index) and (index.min() < 0 or index.max() >= len(boxes)):
                    raise ValueError(f'{gt_dir}/wider_{setting}_val.mat: keep index out of '
                                     f'range for {event}/{name_cell[0]}')
                keep[setting] = index
            images.append(WiderImage(event, str(name_cell[0]), boxes, keep))
    return images


def read_pred_file(path):
    """Read one official prediction txt -> (image name, (N, 5) x, y, w, h, score).

    Line 1 is the image name (any folder and ``.jpg`` dropped), line 2 the box count (not
    used, as in the port), then one ``x y w h score`` line per box; blank lines are skipped.
    An empty file is an image without predictions, named after the file.
    """
    path = Path(path)
    lines = path.read_text().splitlines()
    name = lines[0].strip().split('/')[-1] if lines else ''
    name = name[:-len('.jpg')] if name.endswith('.jpg') else name
    boxes = []
    for lineno, line in enumerate(lines[2:], start=3):
        fields = line.split()
        if not fields:
            continue
        error = f'{path}:{lineno}: expected "x y w h score", got {line!r}'
        if len(fields) < 5:
            raise ValueError(error)
        try:
            boxes.append([float(v) for v in fields[:5]])
        except ValueError:
            raise ValueError(error) from None
    return name or path.stem, np.array(boxes, dtype=np.float64).reshape(-1, 5)


def read_pred_dir(pred_dir) -> Dict[str, Dict[str, np.ndarray]]:
    """Read a folder of event folders of ``<image>.txt`` -> ``{event: {image: (N, 5)}}``."""
    pred_dir = Path(pred_dir)
    if not pred_dir.is_dir():
        raise FileNotFoundError(f'prediction folder not found: {pred_dir}')
    preds = {}
    for event_dir in sorted(p for p in pred_dir.iterdir() if p.is_dir()):
        preds[event_dir.name] = dict(
            read_pred_file(path) for path in sorted(event_dir.glob('*.txt')))
    return preds


def write_pred_dir(preds, out_dir):
    """Write ``{event: {image: (N, 5) x, y, w, h, score}}`` as ``<out_dir>/<event>/<image>.txt``.

    Values are written with Python's shortest round-trip repr, so reading the folder back
    gives exactly the same AP.
    """
    out_dir = Path(out_dir)
    for event, images in preds.items():
        (out_dir / event).mkdir(parents=True, exist_ok=True)
        for name, dets in images.items():
            dets = np.asarray(dets, dtype=np.float64).reshape(-1, 5)
            lines = [name, str(len(dets))] + [' '.join(map(str, row)) for row in dets.tolist()]
            (out_dir / event / f'{name}.txt').write_text('\n'.join(lines) + '\n')


def _count(number, noun, plural=None):
    """``'1 box'``, ``'2 boxes'``."""
    return f'{number} {noun if number == 1 else plural or noun + "s"}'


def _listed(names, shown=3):
    """``a, b, c, ...`` of the first ``shown`` names."""
    return ', '.join(names[:shown]) + (', ...' if len(names) > shown else '')


def check_predictions(preds, gt):
    """How well ``preds`` (as :func:`evaluate_wider` takes them) cover ``gt``, and what in them
    makes the AP misleading.

    Returns ``(evaluated, problems)``: the number of ground-truth images that have a
    prediction entry (an empty one counts), and a dict of messages with counts, by kind:
    ``missing`` (ground-truth images or whole events without an entry: they count as images
    where nothing was found), ``unknown`` (predicted images not in the ground truth: ignored),
    ``negative_size`` (boxes with a negative width or height: they match nothing) and
    ``equal_scores`` (one score for every box: the protocol's normalisation divides 0 by 0
    and AP is 0).
    """
    predicted = {(event, name) for event, images in preds.items() for name in images}
    gt_names = [(image.event, image.name) for image in gt]
    evaluated = sum(key in predicted for key in gt_names)
    problems = {}
    missing = [key for key in gt_names if key not in predicted]
    if missing:
        events = list(dict.fromkeys(event for event, _ in gt_names))
        absent = [e for e in events if e not in preds]
        problems['missing'] = (
            f'the predictions lack {len(missing)} of the {len(gt_names)} ground-truth images'
            + (f', among them {len(absent)} of the {len(events)} events entirely '
               f'({_listed(absent)})' if absent else '')
            + f' (first: {"/".join(missing[0])}); they count as images where nothing was found')
    unknown = sorted(predicted - set(gt_names))
    if unknown:
        problems['unknown'] = (f'{len(unknown)} of the {len(predicted)} predicted images are not '
                               f'in the ground truth (first: {"/".join(unknown[0])}; wrong event '
                               'or image names?); they are ignored')
    negative, scores = {}, []
    for event, images in preds.items():
        for name, dets in images.items():
            dets = np.asarray(dets, dtype=np.float64)
            if dets.ndim != 2 or dets.shape[1] != 5:
                continue  # empty, or misshapen: evaluate_wider names it
            count = int((dets[:, 2:4] < 0).any(1).sum())
            if count:
                negative[f'{event}/{name}'] = count
            scores.append(dets[:, 4])
    if negative:
        problems['negative_size'] = (
            f'{_count(sum(negative.values()), "box", "boxes")} with a negative width or height '
            f'in {_count(len(negative), "image")} ({_listed(list(negative))}); such boxes match '
            'no face and count as false positives')
    scores = np.concatenate(scores) if scores else np.zeros(0)
    if len(scores) and min(1.0, scores.min()) == max(0.0, scores.max()):
        problems['equal_scores'] = (
            f'one score ({scores[0]:g}) for all of the {_count(len(scores), "box", "boxes")}: '
            'the protocol normalises scores by their range, which is 0, so no box passes any '
            'threshold and AP is 0')
    return evaluated, problems


def _sorted_normalised(preds):
    """``{(event, image): (N, 5)}`` sorted by descending score, scores min-max normalised.

    The range starts at min 1 / max 0, as in the port; min == max gives NaN scores (the
    port's 0 / 0), which pass no threshold.
    """
    flat = {}
    for event, images in preds.items():
        for name, dets in images.items():
            dets = np.asarray(dets, dtype=np.float64)
            if dets.size == 0:
                continue
            if dets.ndim != 2 or dets.shape[1] != 5:
                raise ValueError(f'predictions of {event}/{name}: expected (N, 5) '
                                 f'x, y, w, h, score, got shape {dets.shape}')
            if not np.isfinite(dets).all():
                raise ValueError(f'predictions of {event}/{name}: non-finite values')
            flat[event, name] = dets[np.argsort(-dets[:, 4], kind='stable')]
    if not flat:
        return flat
    min_score = min(1.0, min(d[:, 4].min() for d in flat.values()))
    max_score = max(0.0, max(d[:, 4].max() for d in flat.values()))
    diff = max_score - min_score
    for dets in flat.values():
        with np.errstate(divide='ignore', invalid='ignore'):
            dets[:, 4] = (dets[:, 4] - min_score) / diff
    return flat


def _image_pr_info(dets, gt_boxes, keeps, iou_thr):
    """Per setting, (THRESH_NUM, 2) proposal and TP counts of one image (``img_pr_info``).

    ``dets`` (N, 5) are sorted by descending normalised score, ``keeps`` is one 0-based keep
    index array per setting.
    """
    pred = dets[:, :4].copy()
    pred[:, 2:] += pred[:, :2]
    gt = gt_boxes.copy()
    gt[:, 2:] += gt[:, :2]
    overlaps = box_iou(pred, gt, plus_one=True)  # bit-identical to the port's kernel
    best = overlaps.argmax(1)
    matched = overlaps[np.arange(len(pred)), best] >= iou_thr
    # Scores are sorted, so the predictions passing a threshold are a prefix: its length.
    n_pass = np.searchsorted(-dets[:, 4], -THRESHOLDS, side='right')
    last = n_pass - 1
    passing = n_pass > 0
    infos = []
    for keep in keeps:
        kept = np.zeros(len(gt), dtype=bool)
        kept[keep] = True
        tp_candidates = np.flatnonzero(matched & kept[best])
        _, first = np.unique(best[tp_candidates], return_index=True)
        new_tp = np.zeros(len(pred))
        new_tp[tp_candidates[first]] = 1
        # A match to a face outside the keep list is not a proposal.
        proposals = np.cumsum(~(matched & ~kept[best]))
        info = np.zeros((THRESH_NUM, 2))
        info[passing, 0] = proposals[last[passing]]
        info[passing, 1] = np.cumsum(new_tp)[last[passing]]
        infos.append(info)
    return infos


def voc_ap(rec, prec):
    """VOC AP: area under the monotone envelope of precision over recall (the port's)."""
    mrec = np.concatenate(([0.], rec, [1.]))
    mpre = np.concatenate(([0.], prec, [0.]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1])


def evaluate_wider(preds, gt, iou_thr=0.5):
    """AP per setting -> ``dict(easy=, medium=, hard=)``.

    ``preds`` is ``{event: {image: (N, 5) x, y, w, h, score}}`` (every image of it enters the
    score normalisation; gt images absent from it have no predictions), ``gt`` is what
    :func:`load_wider_gt` returns.
    """
    flat = _sorted_normalised(preds)
    pr_curves = np.zeros((len(SETTINGS), THRESH_NUM, 2))
    count_face = np.zeros(len(SETTINGS))
    for image in gt:
        keeps = [image.keep[s] for s in SETTINGS]
        count_face += [len(k) for k in keeps]
        dets = flat.get((image.event, image.name))
        if dets is None or len(image.boxes) == 0:
            continue
        pr_curves += _image_pr_info(dets, image.boxes, keeps, iou_thr)
    aps = {}
    for setting, pr_curve, count in zip(SETTINGS, pr_curves, count_face):
        with np.errstate(divide='ignore', invalid='ignore'):
            precision = pr_curve[:, 1] / pr_curve[:, 0]
            recall = pr_curve[:, 1] / count
        aps[setting] = float(voc_ap(recall, precision))
    return aps
