"""Rotation vectors, matrices, Euler angles and angle errors, batched and differentiable.

Each public function is written once in torch (the ``_t`` functions, private to
:mod:`mmpose6d.geometry`) and runs on numpy or tensors by :func:`numpy_or_torch`.
"""
import torch

from ._backend import numpy_or_torch


def _skew(v):
    zero = torch.zeros_like(v[..., 0])
    return torch.stack([
        torch.stack([zero, -v[..., 2], v[..., 1]], -1),
        torch.stack([v[..., 2], zero, -v[..., 0]], -1),
        torch.stack([-v[..., 1], v[..., 0], zero], -1),
    ], -2)


def rotvec_to_matrix_t(rotvecs):
    """Rodrigues' formula, (..., 3) -> (..., 3, 3), with a Taylor series near zero angle."""
    theta2 = (rotvecs * rotvecs).sum(-1)[..., None, None]
    small = theta2 < 1e-8
    safe2 = torch.where(small, torch.ones_like(theta2), theta2)
    theta = torch.sqrt(safe2)
    a = torch.where(small, 1 - theta2 / 6, torch.sin(theta) / theta)
    b = torch.where(small, 0.5 - theta2 / 24, (1 - torch.cos(theta)) / safe2)
    k = _skew(rotvecs)
    eye = torch.eye(3, dtype=rotvecs.dtype, device=rotvecs.device).expand_as(k)
    return eye + a * k + b * (k @ k)


def matrix_to_rotvec_t(matrices):
    """Matrices (..., 3, 3) -> rotation vectors with angle in [0, pi], by Markley's quaternion
    extraction applied to the matrix as it is (scipy <= 1.15.1's ``Rotation.from_matrix``).

    Exact for a rotation. For a non-orthogonal matrix (img2pose's sheared ``K^-1 K_b R``) it
    is NOT the nearest rotation; it is what the original img2pose computes. The formula is
    picked by the largest of ``(m00, m11, m22, trace)`` (the first on ties).
    """
    m = matrices
    m00, m11, m22 = m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]
    trace = m00 + m11 + m22
    # four proportional quaternion candidates (w, x, y, z), one per decision entry
    candidates = torch.stack([
        torch.stack([m[..., 2, 1] - m[..., 1, 2], 1 + m00 - m11 - m22,
                     m[..., 0, 1] + m[..., 1, 0], m[..., 0, 2] + m[..., 2, 0]], -1),
        torch.stack([m[..., 0, 2] - m[..., 2, 0], m[..., 0, 1] + m[..., 1, 0],
                     1 - m00 + m11 - m22, m[..., 1, 2] + m[..., 2, 1]], -1),
        torch.stack([m[..., 1, 0] - m[..., 0, 1], m[..., 0, 2] + m[..., 2, 0],
                     m[..., 1, 2] + m[..., 2, 1], 1 - m00 - m11 + m22], -1),
        torch.stack([1 + trace, m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0],
                     m[..., 1, 0] - m[..., 0, 1]], -1),
    ], -2)
    best = torch.stack([m00, m11, m22, trace], -1).argmax(-1)
    quat = torch.gather(candidates, -2, best[..., None, None].expand(*best.shape, 1, 4))[..., 0, :]
    quat = quat / quat.norm(dim=-1, keepdim=True)
    quat = torch.where(quat[..., :1] < 0, -quat, quat)
    w, xyz = quat[..., 0], quat[..., 1:]
    sin_half = xyz.norm(dim=-1)
    small = sin_half < 1e-8
    angle = 2 * torch.atan2(sin_half, w)
    safe_sin = torch.where(small, torch.ones_like(sin_half), sin_half)
    scale = torch.where(small, 2 / w, angle / safe_sin)
    return xyz * scale[..., None]


def _cross(a, b):
    return torch.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
                        a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                        a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], -1)


def nearest_rotation_t(matrices, iterations=12):
    """Nearest rotation (Frobenius) of near-rotation matrices, by Newton's polar iteration.

    Equals ``U @ V^T`` of the SVD (what scipy >= 1.15.2's ``Rotation.from_matrix`` returns)
    but stays differentiable where singular values repeat, e.g. for an exact rotation.
    ``inv(R)^T`` is written as the cofactor matrix over the determinant: elementwise ops, fast
    for batches of 3x3 and exportable to ONNX.
    """
    rot = matrices
    for _ in range(iterations):
        r0, r1, r2 = rot.unbind(-2)
        cofactor = torch.stack([_cross(r1, r2), _cross(r2, r0), _cross(r0, r1)], -2)
        det = (r0 * _cross(r1, r2)).sum(-1)[..., None, None]
        rot = 0.5 * (rot + cofactor / det)
    return rot


@numpy_or_torch
def rotvec_to_matrix(rotvecs):
    """Rotation vectors (N,3) -> rotation matrices (N,3,3)."""
    return rotvec_to_matrix_t(rotvecs)


@numpy_or_torch
def matrix_to_rotvec(matrices):
    """Rotation matrices (N,3,3) -> rotation vectors (N,3)."""
    return matrix_to_rotvec_t(matrices)


@numpy_or_torch
def nearest_rotation(matrices, iterations=12):
    """Nearest rotations (N,3,3) of near-rotation matrices (N,3,3) (see
    :func:`nearest_rotation_t`)."""
    return nearest_rotation_t(matrices, iterations)


def matrix_to_euler_t(matrices):
    """Torch core of :func:`matrix_to_euler`."""
    m = matrices.transpose(-1, -2)
    # extrinsic xyz: M = Rz(a2) @ Ry(a1) @ Rx(a0)
    a0 = torch.atan2(m[..., 2, 1], m[..., 2, 2])
    a1 = torch.atan2(-m[..., 2, 0], torch.sqrt(m[..., 2, 1]**2 + m[..., 2, 2]**2))
    a2 = torch.atan2(m[..., 1, 0], m[..., 0, 0])
    return torch.rad2deg(torch.stack([a0, -a1, -a2], -1))


@numpy_or_torch
def matrix_to_euler(matrices):
    """Pose rotation matrices (N,3,3) -> (N,3) pitch, yaw, roll in degrees (AFLW2000-3D
    convention, ``docs/geometry.md``).

    ``M = R^T``; ``(a0, a1, a2)`` are scipy's extrinsic 'xyz' Euler angles of M;
    pitch = a0, yaw = -a1, roll = -a2. These are Hopenet's formulas for BIWI's matrices
    (``roll = -atan2(M10, M00)``, ``yaw = -atan2(-M20, sqrt(M21^2 + M22^2))``,
    ``pitch = atan2(M21, M22)``), and give ``|yaw| <= 90``.
    """
    return matrix_to_euler_t(matrices)


@numpy_or_torch
def rotvec_to_euler(rotvecs):
    """Rotation vectors (N,3) -> (N,3) pitch, yaw, roll in degrees (:func:`matrix_to_euler`
    of their matrices)."""
    return matrix_to_euler_t(rotvec_to_matrix_t(rotvecs))


def _axis_rotation_t(angle, axis):
    """Rotations (..., 3, 3) by ``angle`` (radians, tensor) about coordinate ``axis``."""
    c, s = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(angle), torch.zeros_like(angle)
    rows = {0: [[one, zero, zero], [zero, c, -s], [zero, s, c]],
            1: [[c, zero, s], [zero, one, zero], [-s, zero, c]],
            2: [[c, -s, zero], [s, c, zero], [zero, zero, one]]}[axis]
    return torch.stack([torch.stack(row, -1) for row in rows], -2)


def euler_to_matrix_t(euler):
    """Torch core of :func:`euler_to_matrix`."""
    pitch, yaw, roll = torch.deg2rad(euler).unbind(-1)
    return _axis_rotation_t(-pitch, 0) @ (_axis_rotation_t(yaw, 1) @ _axis_rotation_t(roll, 2))


@numpy_or_torch
def euler_to_matrix(euler):
    """(N,3) pitch, yaw, roll in degrees -> pose rotation matrices (N,3,3): the inverse of
    :func:`matrix_to_euler` for ``|yaw| < 90``, ``R = Rx(-pitch) Ry(yaw) Rz(roll)``.

    Camera axes x right, y down, z forward, the reference face looking at the camera at
    R = I: a positive yaw turns the nose toward image left, a positive pitch raises it, a
    positive roll turns the eye line clockwise in the image. It equals
    ``F @ angle2matrix_3ddfa(Pose_Para[:3]) @ F`` with ``F = diag(1, -1, -1)``: 3DDFA's model
    frame (AFLW2000-3D's annotations) has y up and z toward the viewer.
    """
    return euler_to_matrix_t(euler)


@numpy_or_torch
def euler_to_rotvec(euler):
    """(N,3) pitch, yaw, roll in degrees -> rotation vectors (N,3): the inverse of
    :func:`rotvec_to_euler`."""
    return matrix_to_rotvec_t(euler_to_matrix_t(euler))


@numpy_or_torch
def wrap_degrees(angles):
    """Angles (any shape) in degrees wrapped into [-180, 180), e.g. Euler differences."""
    return (angles + 180) % 360 - 180


@numpy_or_torch
def rotation_angle_deg(rotvecs_a, rotvecs_b):
    """Geodesic angle (N,) in degrees between rotations (N,3) a and b: the angle of
    ``R_a^T R_b``."""
    rel = rotvec_to_matrix_t(rotvecs_a).transpose(-1, -2) @ rotvec_to_matrix_t(rotvecs_b)
    cos = (rel.diagonal(dim1=-2, dim2=-1).sum(-1) - 1) / 2
    return torch.rad2deg(torch.arccos(torch.clamp(cos, -1.0, 1.0)))


@numpy_or_torch
def relative_rotvec(rotvecs_a, rotvecs_b):
    """Rotation vectors (..., 3) of ``R_a^T R_b``: the step from a to b in a's own frame
    (``R_b = R_a R(step)``), the tangent vector at a that the pose filters smooth."""
    rel = rotvec_to_matrix_t(rotvecs_a).transpose(-1, -2) @ rotvec_to_matrix_t(rotvecs_b)
    return matrix_to_rotvec_t(rel)


@numpy_or_torch
def compose_rotvec(rotvecs, steps):
    """Rotation vectors (..., 3) of ``R(rotvecs) R(steps)``: a step in the rotation's own
    frame taken (the inverse of :func:`relative_rotvec`)."""
    return matrix_to_rotvec_t(rotvec_to_matrix_t(rotvecs) @ rotvec_to_matrix_t(steps))


def equivalent_euler_t(euler):
    """Torch core of :func:`continuous_euler`'s second triple: ``(p + 180, 180 - y, r + 180)``
    gives the same matrix as ``(p, y, r)`` in ``R = Rx(-p) Ry(y) Rz(r)``, because
    ``Rx(180) Ry(180 - y) Rz(180) = Ry(y)``."""
    pitch, yaw, roll = euler.unbind(-1)
    return torch.stack([pitch + 180, 180 - yaw, roll + 180], -1)


@numpy_or_torch
def continuous_euler(euler, previous):
    """Pitch, yaw, roll (N,3) in degrees that continue ``previous`` (N,3): of the two
    triples of each rotation (``euler``, e.g. :func:`rotvec_to_euler`'s with |yaw| <= 90,
    and ``(p + 180, 180 - y, r + 180)``), each angle shifted by the multiple of 360 nearest
    ``previous``, the triple closer to ``previous`` (sum of squared differences).

    Angles reported frame after frame this way run on through |yaw| > 90 and past +-180
    instead of flipping. At |yaw| = 90 itself only ``pitch - roll`` (yaw +90) or
    ``pitch + roll`` (yaw -90) is defined (gimbal lock), so pitch and roll may turn there.
    """
    candidates = torch.stack([euler, equivalent_euler_t(euler)], -2)
    previous = previous[..., None, :]
    unwrapped = candidates + 360 * torch.round((previous - candidates) / 360)
    closer = ((unwrapped - previous)**2).sum(-1).argmin(-1)
    index = closer[..., None, None].expand(*closer.shape, 1, 3)
    return torch.gather(unwrapped, -2, index)[..., 0, :]
