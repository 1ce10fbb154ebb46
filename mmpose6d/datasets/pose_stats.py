"""``pose_mean`` / ``pose_stddev``: statistics of the labelled training faces' local poses.

The RoI head normalises its targets with them (``docs/geometry.md``, "Normalisation"). Used
by ``tools/dataset_converters/img2pose_to_lmdb.py --train`` and
``tools/dataset_converters/compute_pose_stats.py``.
"""
from pathlib import Path

import numpy as np

from ..geometry import pose_from_landmarks


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
