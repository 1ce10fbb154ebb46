"""Horizontal flip of boxes, landmarks and poses."""
import numpy as np
import torch

from ._backend import numpy_or_torch

#: 5-point mirror order: left/right eye and mouth corner swap, the nose stays.
FLIP_PERM_5 = np.array([1, 0, 2, 4, 3])

#: The standard iBUG / 300-W 68-point mirror permutation.
FLIP_PERM_68 = np.array(
    list(range(16, -1, -1))                                   # jaw
    + list(range(26, 16, -1))                                 # eyebrows
    + [27, 28, 29, 30] + [35, 34, 33, 32, 31]                 # nose
    + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40]        # eyes
    + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55]        # outer lips
    + [64, 63, 62, 61, 60, 67, 66, 65])                       # inner lips


def flip_permutation(num_points):
    """The mirror permutation for 5 or 68 landmarks."""
    perms = {5: FLIP_PERM_5, 68: FLIP_PERM_68}
    if num_points not in perms:
        raise ValueError(f'no flip permutation for {num_points} landmarks (5 or 68)')
    return perms[num_points]


@numpy_or_torch
def flip_boxes(boxes, width):
    """Boxes (N,4) of an image ``width`` wide, mirrored: x1' = w - x2, x2' = w - x1."""
    flipped = boxes.clone()
    flipped[..., 0] = width - boxes[..., 2]
    flipped[..., 2] = width - boxes[..., 0]
    return flipped


@numpy_or_torch
def flip_landmarks(landmarks, width):
    """Landmarks (N,P,2), mirrored (u' = w - u) and reordered by the 5/68 permutation."""
    flipped = landmarks.clone()
    flipped[..., 0] = width - landmarks[..., 0]
    order = torch.as_tensor(flip_permutation(landmarks.shape[-2]), device=landmarks.device)
    return flipped[..., order, :]


@numpy_or_torch
def flip_poses(poses):
    """Global poses (N,6) of the mirrored image: ry, rz and tx change sign."""
    return poses * poses.new_tensor([1, -1, -1, -1, 1, 1])
