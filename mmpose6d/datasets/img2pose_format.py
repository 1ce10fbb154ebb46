"""The img2pose WIDER FACE annotation format: a list file of JSON paths, one JSON per image.

Each JSON holds ``image_path`` (relative to the image prefix), ``bboxes`` (``[x1, y1, x2, y2]``
or ``[x1, y1, x2, y2, flag]``) and ``landmarks``: per box a 5x2 or 68x2 list, or -1 (a scalar
or a list full of -1) for a face without landmarks. Parsing validates everything: a problem
with the whole file raises :class:`AnnotationError` (the image is skipped); a problem with
one face is counted in :data:`SKIPS` and the face is dropped (invalid box) or kept without
landmarks (missing, NaN or misshapen landmarks), so it is masked instead of becoming
background.
"""
import json
from pathlib import Path

import numpy as np

from .skip_counter import SKIPS, AnnotationError, counted

#: Landmark counts with a 3D reference.
NUM_POINTS = (5, 68)


def read_list_file(list_file):
    """Paths of the JSON files in a list file; relative ones are relative to its folder."""
    list_file = Path(list_file)
    if not list_file.is_file():
        raise FileNotFoundError(f'annotation list file not found: {list_file}')
    lines = (line.strip() for line in list_file.read_text().splitlines())
    return [list_file.parent / line for line in lines if line and not line.startswith('#')]


def load_json(path):
    """The JSON object of an annotation file; :class:`AnnotationError` when it cannot be read."""
    try:
        with open(path) as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise AnnotationError('ann/missing_json', f'{path}: annotation file not found') from None
    except (ValueError, UnicodeDecodeError) as e:
        raise AnnotationError('ann/malformed_json', f'{path}: malformed JSON ({e})') from None
    if not isinstance(raw, dict):
        raise AnnotationError('ann/malformed_json',
                              f'{path}: expected a JSON object, got {type(raw).__name__}')
    return raw


def _parse_bboxes(raw, source):
    """(N,4) float64 boxes of a list of [x1, y1, x2, y2(, flag)] entries."""
    try:
        if not all(isinstance(b, list) and len(b) in (4, 5) for b in raw):
            raise ValueError
        return np.array([b[:4] for b in raw], dtype=np.float64).reshape(-1, 4)
    except (TypeError, ValueError):
        raise AnnotationError('ann/bad_bboxes', f'{source}: "bboxes" must be a list of '
                              '[x1, y1, x2, y2] or [x1, y1, x2, y2, flag] numbers') from None


def _parse_face_landmarks(value):
    """(landmarks (P,2) float32 or None, skip reason or '') of one face's entry."""
    try:
        points = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None, 'ann/bad_landmarks'
    if points.size and (points == -1).all():
        return None, 'ann/missing_landmarks'
    if points.ndim != 2 or points.shape[1] != 2 or len(points) not in NUM_POINTS:
        return None, 'ann/bad_landmarks'
    if not np.isfinite(points).all():
        return None, 'ann/nan_landmarks'
    if (points == -1).any():
        return None, 'ann/missing_landmarks'
    return points.astype(np.float32), ''


def raw_image_path(raw):
    """The ``image_path`` of a raw annotation, or None when it is not a usable string; lets
    callers check the image before the faces are parsed (and their problems counted)."""
    path = raw.get('image_path')
    return path if isinstance(path, str) and path else None


def parse_record(raw, source):
    """Validated ``dict(image_path, bboxes (N,4) float64, landmarks [ (P,2) | None ])``.

    Raises :class:`AnnotationError` for missing keys, unreadable boxes or a box/landmark count
    mismatch; counts per-face problems in :data:`SKIPS` (``source`` names the file).
    """
    missing = [k for k in ('image_path', 'bboxes', 'landmarks') if k not in raw]
    if missing:
        raise AnnotationError('ann/missing_key', f'{source}: missing key(s) {missing}')
    if raw_image_path(raw) is None:
        raise AnnotationError('ann/missing_key', f'{source}: "image_path" must be a string')
    if not isinstance(raw['bboxes'], list) or not isinstance(raw['landmarks'], list):
        raise AnnotationError('ann/bad_bboxes',
                              f'{source}: "bboxes" and "landmarks" must be lists')
    boxes = _parse_bboxes(raw['bboxes'], source)
    if len(raw['landmarks']) != len(boxes):
        raise AnnotationError('ann/count_mismatch', f'{source}: {len(boxes)} bboxes but '
                              f'{len(raw["landmarks"])} landmark entries')
    parsed = [_parse_face_landmarks(v) for v in raw['landmarks']]
    valid = np.isfinite(boxes).all(1) & (boxes[:, 0] < boxes[:, 2]) & (boxes[:, 1] < boxes[:, 3])
    reasons = np.array([why for _, why in parsed], dtype=object).reshape(-1)
    reasons[~valid] = 'ann/invalid_box'
    for reason in sorted(set(reasons) - {''}):
        faces = np.flatnonzero(reasons == reason).tolist()
        effect = ('dropped (x1 >= x2 or y1 >= y2)' if reason == 'ann/invalid_box' else
                  'kept without landmarks')
        SKIPS.add(reason, f'{source}: face(s) {faces} {effect}', count=len(faces))
    return dict(image_path=raw['image_path'], bboxes=boxes[valid],
                landmarks=[lm for (lm, _), ok in zip(parsed, valid) if ok])


def iter_json_records(list_file, accept=None):
    """(list index, JSON path, validated record) of each usable entry of a list file.

    ``accept(raw, path)``, when given, vets the raw annotation before its faces are parsed
    (and their problems counted), e.g. whether its image exists.
    """
    for index, path in enumerate(read_list_file(list_file)):
        raw = counted(load_json, path)
        if raw is None or (accept is not None and not accept(raw, path)):
            continue
        record = counted(parse_record, raw, path)
        if record is not None:
            yield index, str(path), record


def record_to_json(record):
    """The validated record back in the JSON format (missing landmarks as -1)."""
    return dict(image_path=record['image_path'], bboxes=record['bboxes'].tolist(),
                landmarks=[-1 if lm is None else lm.tolist() for lm in record['landmarks']])


def record_instances(record):
    """mmdet ``instances`` of a validated record (one class, ``face``)."""
    return [dict(bbox=box.tolist(), bbox_label=0, ignore_flag=0, landmarks=lm,
                 labelled=lm is not None)
            for box, lm in zip(record['bboxes'], record['landmarks'])]
