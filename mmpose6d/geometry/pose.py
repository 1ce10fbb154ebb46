"""img2pose camera model: intrinsics, local <-> global pose, projection, box from pose.

Every formula follows ``docs/geometry.md`` (floor divisions included), so checkpoints
trained with the original img2pose code give the same answers.
"""
import torch

from ._backend import numpy_or_torch
from .rotation import matrix_to_rotvec_t, nearest_rotation_t, rotvec_to_matrix_t


def _image_intrinsics_t(width, height):
    """Tensor ``K_img`` (..., 3, 3) for tensor widths and heights of any (equal) shape."""
    f, zero, one = width + height, torch.zeros_like(width), torch.ones_like(width)
    return torch.stack([
        torch.stack([f, zero, _floor_half(width)], -1),
        torch.stack([zero, f, _floor_half(height)], -1),
        torch.stack([zero, zero, one], -1)
    ], -2)


@numpy_or_torch
def image_intrinsics(width, height):
    """``K_img`` (3,3) of a ``width`` x ``height`` image: f = w + h, centre (w // 2, h // 2)
    (of shape (..., 3, 3) for batched sizes)."""
    width = torch.as_tensor(width, dtype=torch.float64)
    return _image_intrinsics_t(width, torch.as_tensor(height, dtype=width.dtype,
                                                      device=width.device))


def _floor_half(x):
    return torch.floor(x / 2)


def trunc(x):
    """Rounding toward zero (``int()`` of the original) from ops that export to ONNX."""
    return torch.sign(x) * torch.floor(torch.abs(x))


def _box_frame(image_wh, boxes, dtype, integer_principal_point=False):
    """The shear ``K_img^-1 @ K_b`` of each box, as its two offsets ``(cx_b - w // 2) / f``
    and ``(cy_b - h // 2) / f``, and s / f, in ``dtype``; ``image_wh`` is (2,) or (N,2), one
    image size for all boxes or one per box.

    The box centre and size are computed in the boxes' own dtype, as the original does with
    its float32 proposals; ``integer_principal_point`` truncates the centre to an integer, as
    the original's inference does (its box intrinsics are an integer array).
    """
    x1, y1, x2, y2 = boxes.unbind(-1)
    cx, cy = x1 + _floor_half(x2 - x1), y1 + _floor_half(y2 - y1)
    if integer_principal_point:
        cx, cy = trunc(cx), trunc(cy)
    size = (x2 - x1) + (y2 - y1)
    w, h = image_wh[..., 0].to(dtype), image_wh[..., 1].to(dtype)
    f = w + h
    return ((cx.to(dtype) - _floor_half(w)) / f, (cy.to(dtype) - _floor_half(h)) / f,
            size.to(dtype) / f)


def _apply_shear(poses, shear_x, shear_y, nearest_rotation):
    """``t <- S t`` and ``R <- to_rotation(S R)`` for ``S = [[1, 0, sx], [0, 1, sy],
    [0, 0, 1]]`` (its inverse is the same with the offsets negated).

    ``to_rotation`` is the original's quaternion extraction from the sheared matrix itself
    (:func:`matrix_to_rotvec_t`), or with ``nearest_rotation`` the orthogonalised matrix.
    """
    r0, r1, r2 = rotvec_to_matrix_t(poses[:, :3]).unbind(-2)
    sheared = torch.stack([r0 + shear_x[:, None] * r2, r1 + shear_y[:, None] * r2, r2], -2)
    if nearest_rotation:
        sheared = nearest_rotation_t(sheared)
    tx, ty, tz = poses[:, 3], poses[:, 4], poses[:, 5]
    trans = torch.stack([tx + shear_x * tz, ty + shear_y * tz, tz], -1)
    return torch.cat([matrix_to_rotvec_t(sheared), trans], -1)


@numpy_or_torch
def pose_bbox_to_full_image(poses, image_wh, boxes, integer_principal_point=False,
                            nearest_rotation=False):
    """Local poses (N,6), relative to ``boxes`` (N,4), -> global poses (N,6) in the image
    of size ``image_wh`` ((2,), or (N,2) for boxes from several images).

    ``integer_principal_point``: truncate the box centre to an integer (the original's
    inference); ``nearest_rotation``: orthogonalise the sheared rotation first instead of
    the original's direct quaternion extraction (``docs/geometry.md``).
    """
    shear_x, shear_y, s_over_f = _box_frame(image_wh, boxes, poses.dtype,
                                            integer_principal_point)
    scaled = torch.cat([poses[:, :5], poses[:, 5:] / s_over_f[:, None]], -1)
    return _apply_shear(scaled, shear_x, shear_y, nearest_rotation)


@numpy_or_torch
def pose_full_image_to_bbox(poses, image_wh, boxes, integer_principal_point=False,
                            nearest_rotation=False):
    """Global poses (N,6) -> local poses (N,6) relative to ``boxes`` (N,4): the inverse
    steps in reverse order (not an exact inverse with the original's rotation step)."""
    shear_x, shear_y, s_over_f = _box_frame(image_wh, boxes, poses.dtype,
                                            integer_principal_point)
    local = _apply_shear(poses, -shear_x, -shear_y, nearest_rotation)
    return torch.cat([local[:, :5], local[:, 5:] * s_over_f[:, None]], -1)


def project_points_t(points3d, poses, intrinsics):
    """Torch core of :func:`project_points`; ``intrinsics`` may be (3,3) or (N,3,3)."""
    rot = rotvec_to_matrix_t(poses[:, :3])
    cam = points3d @ rot.transpose(-1, -2) + poses[:, None, 3:]
    pix = cam @ intrinsics.transpose(-1, -2)
    return pix[..., :2] / pix[..., 2:]


@numpy_or_torch
def project_points(points3d, poses, intrinsics):
    """Project reference points (P,3) with poses (N,6) and intrinsics -> pixels (N,P,2)."""
    return project_points_t(points3d, poses, intrinsics)


@numpy_or_torch
def local_intrinsics(boxes):
    """``K_local`` (N,3,3) of each box's own frame: s = bw + bh, centre (bw // 2, bh // 2)."""
    bw = boxes[:, 2] - boxes[:, 0]
    bh = boxes[:, 3] - boxes[:, 1]
    k = torch.zeros(len(boxes), 3, 3, dtype=boxes.dtype, device=boxes.device)
    k[:, 0, 0] = k[:, 1, 1] = bw + bh
    k[:, 0, 2] = _floor_half(bw)
    k[:, 1, 2] = _floor_half(bh)
    k[:, 2, 2] = 1
    return k


@numpy_or_torch
def pose_to_bbox(poses, image_wh, reference3d, x_factor=1.1, y_factor=1.1, forehead=0.3):
    """Landmark-projected boxes (N,4) of global poses (N,6) in an image of size ``image_wh``
    ((2,), or (N,2) per pose): the 68 reference points projected with each pose, boxed by
    :func:`landmarks_to_bbox` with the pose's ``rz`` as the roll."""
    w, h = image_wh[..., 0], image_wh[..., 1]
    points = project_points_t(reference3d, poses, _image_intrinsics_t(w, h))
    return landmarks_to_bbox(points, poses[:, 2], image_wh, x_factor, y_factor, forehead)


@numpy_or_torch
def landmarks_to_bbox(landmarks, roll, image_wh, x_factor=1.1, y_factor=1.1, forehead=0.3):
    """The img2pose face box (N,4) of landmarks (N,P,2) (``docs/geometry.md``, "Box from
    pose", steps 2-4): their extent, scaled by the factors (sizes truncated to int), centred
    on the extent's centre, extended by ``forehead`` times the extent on the side chosen by
    ``roll`` (N,) (a rotation vector's z component), truncated to int32 and clipped to the
    image of size ``image_wh`` ((2,) or (N,2)). Also the target box of the AFLW2000-3D
    evaluation and of the 300W-LP labels, on annotated landmarks."""
    lo, hi = landmarks.min(1).values, landmarks.max(1).values
    extent = hi - lo
    centre = 0.5 * lo + 0.5 * hi
    factors = extent.new_tensor([x_factor, y_factor])
    size = trunc(extent * factors)
    x1, y1 = (centre - 0.5 * size).unbind(-1)
    x2, y2 = (centre + 0.5 * size).unbind(-1)
    grow_x, grow_y = forehead * extent[:, 0], forehead * extent[:, 1]
    zero = torch.zeros_like(roll)
    bottom = roll.abs() > 2.5
    right = ~bottom & (roll > 1)
    left = ~bottom & ~right & (roll < -1)
    top = ~bottom & ~right & ~left
    x1 = x1 - torch.where(left, grow_x, zero)
    x2 = x2 + torch.where(right, grow_x, zero)
    y1 = y1 - torch.where(top, grow_y, zero)
    y2 = y2 + torch.where(bottom, grow_y, zero)
    boxes = trunc(torch.stack([x1, y1, x2, y2], -1))
    w, h = image_wh[..., 0].to(boxes), image_wh[..., 1].to(boxes)
    upper = torch.stack([w, h, w, h], -1)
    return torch.minimum(torch.clamp(boxes, min=0), upper)
