"""``pose_mean`` / ``pose_stddev``: statistics of the labelled training faces' local poses.

The RoI head normalises its targets with them (``docs/geometry.md``, "Normalisation"). Used
by ``tools/dataset_converters/img2pose_to_lmdb.py --train`` and
``tools/dataset_converters/compute_pose_stats.py``.
"""
from pathlib import Path

import numpy as np

from ..geometry import (box_iou, labels_from_landmarks, pose_from_landmarks,
                        pose_full_image_to_bbox, pose_to_bbox)


def local_poses(records, reference68, reference5):
    """Local EPnP poses (M,6) of every labelled face of validated records, NaN ones dropped.

    68-point faces are solved with ``reference68``, 5-point faces with ``reference5``, each in
    its annotated box.
    """
    boxes = {p: [] for p in (5, 68)}
    landmarks = {p: [] for p in (5, 68)}
    for record in records:
        for box, lms in zip(record['bboxes'], record['landmarks']):
            if lms is not None:
                boxes[len(lms)].append(box)
                landmarks[len(lms)].append(lms)
    references = {5: reference5, 68: reference68}
    poses = [pose_from_landmarks(np.stack(landmarks[p]), np.stack(boxes[p]), references[p])
             for p in (5, 68) if landmarks[p]]
    poses = np.concatenate(poses) if poses else np.zeros((0, 6))
    return poses[np.isfinite(poses).all(1)]


def roi_target_poses(records, image_sizes, reference68, reference5, copies=10, shift=0.12,
                     scale=0.15, min_iou=0.5, seed=0, solve_in='box', **box_factors):
    """The local poses (M,6) the RoI head regresses for these faces, for statistics that
    match its targets rather than the annotated boxes.

    Each labelled face gets its global label (as ``PoseLabelsFromLandmarks`` with the same
    ``solve_in``: PnP in its box, then local -> global, or PnP in the image camera) and the
    box projected from that label (``BoxesFromPoses``, the training target, with
    ``box_factors``); the label is moved into that box and into
    ``copies`` random boxes around it (centre shifted by N(0, ``shift``) and sides scaled by
    exp N(0, ``scale``) of the box size) with IoU >= ``min_iou``: the positive RoIs.
    ``image_sizes`` are the records' (w, h).
    """
    rng = np.random.default_rng(seed)
    references = {5: reference5, 68: reference68}
    poses, sizes = [], []
    for record, size in zip(records, image_sizes):
        for box, lms in zip(record['bboxes'], record['landmarks']):
            if lms is None:
                continue
            pose = labels_from_landmarks(lms[None], np.asarray(box)[None], size,
                                         references[len(lms)], solve_in)
            if np.isfinite(pose).all():
                poses.append(pose[0])
                sizes.append(size)
    if not poses:
        return np.zeros((0, 6))
    poses, sizes = np.array(poses), np.array(sizes, np.float64)
    boxes = pose_to_bbox(poses, sizes, reference68, **box_factors)
    wh = boxes[:, 2:] - boxes[:, :2]
    rois, owners = [boxes], [np.arange(len(boxes))]
    for _ in range(copies):
        centre = (boxes[:, :2] + boxes[:, 2:]) / 2 + rng.normal(0, shift, wh.shape) * wh
        half = wh * np.exp(rng.normal(0, scale, wh.shape)) / 2
        jittered = np.concatenate([centre - half, centre + half], 1)
        keep = box_iou(jittered, boxes, aligned=True) >= min_iou
        rois.append(jittered[keep])
        owners.append(np.flatnonzero(keep))
    rois, owners = np.concatenate(rois), np.concatenate(owners)
    local = pose_full_image_to_bbox(poses[owners], sizes[owners], rois)
    return local[np.isfinite(local).all(1)]


def pose_statistics(poses):
    """(mean (6,), std (6,)) of poses (M,6), as the original img2pose (population std)."""
    if not len(poses):
        raise ValueError('no labelled face with a valid pose: cannot compute pose statistics')
    return poses.mean(0), poses.std(0)


def save_pose_statistics(out_dir, mean, std):
    """Write ``pose_mean.npy`` and ``pose_stddev.npy`` into ``out_dir``; their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = out_dir / 'pose_mean.npy', out_dir / 'pose_stddev.npy'
    np.save(paths[0], np.asarray(mean, np.float64))
    np.save(paths[1], np.asarray(std, np.float64))
    return paths
