"""Readers for landmark files: iBUG ``.pts``, menpo ``.ljson`` and img2pose-style JSON."""
import json

import numpy as np


def read_pts(path):
    """Landmarks (P,2) of an iBUG / 300-W ``.pts`` file, as 0-based pixel (x, y).

    The file lists ``x y`` per line between ``{`` and ``}``, 1-based (the 300-W convention,
    also menpo's), so 1 is subtracted.
    """
    lines = [line.strip() for line in open(path).read().splitlines()]
    header = {}
    try:
        start = lines.index('{')
        end = lines.index('}', start)
    except ValueError:
        raise ValueError(f'{path}: not a .pts file, no lines with "{{" and "}}"') from None
    for line in lines[:start]:
        key, _, value = line.partition(':')
        header[key.strip()] = value.strip()
    try:
        points = np.array([line.split() for line in lines[start + 1:end] if line],
                          dtype=np.float64)
    except ValueError:
        raise ValueError(f'{path}: malformed point lines, expected "x y" numbers') from None
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f'{path}: malformed point lines, expected "x y" per line')
    if 'n_points' in header and int(header['n_points']) != len(points):
        raise ValueError(f'{path}: header says n_points: {header["n_points"]} but lists '
                         f'{len(points)} points')
    return points - 1


def read_ljson_points(path, group=None, with_labels=False):
    """Raw points (P,D) of a menpo LJSON (v2 or v3) file; ``null`` coordinates become NaN.

    The axes are as stored: menpo writes image landmarks as (y, x), 3D points as (x, y, z).
    ``group`` picks a v3 landmark group (default: the only one, or ``'LJSON'``). With
    ``with_labels`` also the labelled subsets ``{label: point indices}``.
    """
    with open(path) as f:
        data = json.load(f)
    version = data.get('version')
    if version == 3:
        groups = data['groups']
        if group is None:
            group = next(iter(groups)) if len(groups) == 1 else 'LJSON'
        if group not in groups:
            raise KeyError(f'{path}: no landmark group {group!r}; has {sorted(groups)}')
        data = groups[group]
    elif version != 2:
        raise ValueError(f'{path}: LJSON version {version!r} is not supported (2 or 3)')
    points = np.array([[np.nan if v is None else v for v in p]
                       for p in data['landmarks']['points']], np.float64)
    if not with_labels:
        return points
    return points, {label['label']: np.asarray(label['mask'], np.int64)
                    for label in data.get('labels', [])}


def _float_array(path, key, value):
    try:
        return np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f'{path}: "{key}" must be nested lists of numbers with the same '
                         'shape for every face') from None


def read_faces_json(path):
    """Landmarks (N,P,2) and boxes (N,4) or None of an img2pose-style JSON file.

    The file holds ``{"landmarks": [[[u, v], ...], ...], "bboxes": [[x1, y1, x2, y2], ...]}``
    (``bboxes`` optional), pixel coordinates, one entry per face.
    """
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, dict) or 'landmarks' not in data:
        raise ValueError(f'{path}: expected a JSON object with a "landmarks" list')
    landmarks = _float_array(path, 'landmarks', data['landmarks'])
    if landmarks.ndim != 3 or landmarks.shape[2] != 2 or not len(landmarks):
        raise ValueError(f'{path}: "landmarks" must have shape (faces, points, 2), got '
                         f'{landmarks.shape}')
    boxes = data.get('bboxes')
    if boxes is not None:
        boxes = _float_array(path, 'bboxes', boxes)
        if boxes.shape != (len(landmarks), 4):
            raise ValueError(f'{path}: "bboxes" must have shape ({len(landmarks)}, 4), got '
                             f'{boxes.shape}')
    return landmarks, boxes
