"""The inference geometry of :mod:`mmpose6d.geometry` for a fixed image size, traceable.

The library versions size tensors with ``len()`` (a constant once traced), invert matrices
with ``torch.linalg.inv`` and truncate with ``torch.trunc``, none of which exports to ONNX.
These follow the same formulas (``design/geometry.md``) with elementwise ops; tests check
them against the library.
"""
import torch

from mmpose6d.geometry.pose import project_points_t
from mmpose6d.geometry.rotation import matrix_to_rotvec_t, rotvec_to_matrix_t


def _cross(a, b):
    return torch.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
                        a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                        a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], -1)


def nearest_rotation(matrices, iterations=12):
    """:func:`~mmpose6d.geometry.rotation.nearest_rotation_t` with ``inv(R)^T`` written as
    the cofactor matrix over the determinant."""
    rot = matrices
    for _ in range(iterations):
        r0, r1, r2 = rot.unbind(-2)
        cofactor = torch.stack([_cross(r1, r2), _cross(r2, r0), _cross(r0, r1)], -2)
        det = (r0 * _cross(r1, r2)).sum(-1)[..., None, None]
        rot = 0.5 * (rot + cofactor / det)
    return rot


def trunc(x):
    """``torch.trunc`` (rounding toward zero) from exportable ops."""
    return torch.sign(x) * torch.floor(torch.abs(x))


def pose_bbox_to_full_image(poses, width, height, boxes):
    """Local poses (N,6) of ``boxes`` (N,4) -> global poses in a ``width`` x ``height`` image
    (Python numbers): tz scaled by f / s, then the shear ``K_img^-1 K_b`` on t and R."""
    f = float(width + height)
    x1, y1, x2, y2 = boxes.unbind(-1)
    shear_x = (x1 + torch.floor((x2 - x1) / 2) - width // 2) / f
    shear_y = (y1 + torch.floor((y2 - y1) / 2) - height // 2) / f
    s_over_f = ((x2 - x1) + (y2 - y1)) / f
    tx, ty, tz = poses[:, 3], poses[:, 4], poses[:, 5] / s_over_f
    trans = torch.stack([tx + shear_x * tz, ty + shear_y * tz, tz], -1)
    r0, r1, r2 = rotvec_to_matrix_t(poses[:, :3]).unbind(-2)
    sheared = torch.stack([r0 + shear_x[:, None] * r2, r1 + shear_y[:, None] * r2, r2], -2)
    return torch.cat([matrix_to_rotvec_t(nearest_rotation(sheared)), trans], -1)


def pose_to_bbox(poses, width, height, reference3d, x_factor=1.1, y_factor=1.1,
                 forehead=0.3):
    """:func:`mmpose6d.geometry.pose_to_bbox` for one ``width`` x ``height`` image."""
    intrinsics = poses.new_tensor([[width + height, 0, width // 2],
                                   [0, width + height, height // 2], [0, 0, 1]])
    pts = project_points_t(reference3d, poses, intrinsics)
    lo, hi = pts.min(1).values, pts.max(1).values
    extent = hi - lo
    centre = 0.5 * lo + 0.5 * hi
    size = trunc(extent * poses.new_tensor([x_factor, y_factor]))
    x1, y1 = (centre - 0.5 * size).unbind(-1)
    x2, y2 = (centre + 0.5 * size).unbind(-1)
    rz = poses[:, 2]
    grow_x, grow_y = forehead * extent[:, 0], forehead * extent[:, 1]
    zero = torch.zeros_like(rz)
    bottom = rz.abs() > 2.5
    right = ~bottom & (rz > 1)
    left = ~bottom & ~right & (rz < -1)
    top = ~bottom & ~right & ~left
    x1 = x1 - torch.where(left, grow_x, zero)
    x2 = x2 + torch.where(right, grow_x, zero)
    y1 = y1 - torch.where(top, grow_y, zero)
    y2 = y2 + torch.where(bottom, grow_y, zero)
    boxes = trunc(torch.stack([x1, y1, x2, y2], -1))
    return torch.minimum(boxes.clamp(min=0), poses.new_tensor([width, height, width, height]))
