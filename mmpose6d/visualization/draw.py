"""Pose axes and points drawn on BGR images with cv2: one cv2 call per colour for all faces."""
import cv2
import numpy as np

from ..geometry import project_points

#: BGR colours of the x, y and z axes (red, green, blue).
AXIS_COLORS = ((0, 0, 255), (0, 255, 0), (255, 0, 0))

# cv2 takes fixed-point coordinates with this many fractional bits: sub-pixel anti-aliasing
_SHIFT = 4
# far-off points (a face near the camera plane) are clipped before the int32 conversion
_LIMIT = 1 << 20


def _polylines(points):
    """(N,K,2) pixel points as the C-contiguous int32 fixed-point array cv2 expects (it
    rejects the strided layout that fancy indexing can return)."""
    clipped = np.clip(points, -_LIMIT, _LIMIT)
    return np.round(clipped * (1 << _SHIFT)).astype(np.int32, order='C')


def draw_points(img, points, color=(0, 255, 0), radius=2):
    """Draw a disc of ``radius`` px at each pixel point (..., 2) on ``img`` in place.

    Non-finite points are skipped. Returns ``img``.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(1)]
    if len(pts):
        # a zero-length thick line is a disc; one polylines call draws them all
        dots = _polylines(np.repeat(pts[:, None], 2, axis=1))
        cv2.polylines(img, dots, False, color, max(1, round(2 * radius)), cv2.LINE_AA, _SHIFT)
    return img


def draw_pose_axes(img, poses, intrinsics, reference3d, length=None, thickness=2):
    """Draw the reference frame of each pose (N,6) on ``img`` in place.

    Lines run from the projected reference origin to the projected ends of its x (red),
    y (green) and z (blue) axes; z points away from the camera for a frontal face.
    ``length`` is in reference units (default: half the reference's largest extent).
    ``intrinsics`` is (3,3) or (N,3,3), e.g. ``image_intrinsics(w, h)`` for global poses.
    Faces with a non-finite pose are skipped. Returns ``img``.
    """
    poses = np.asarray(poses, dtype=np.float64).reshape(-1, 6)
    intrinsics = np.asarray(intrinsics, dtype=np.float64)
    valid = np.isfinite(poses).all(1)
    if not valid.any():
        return img
    if intrinsics.ndim == 3:
        intrinsics = intrinsics[valid]
    if length is None:
        reference3d = np.asarray(reference3d, dtype=np.float64)
        length = 0.5 * np.ptp(reference3d, axis=0).max()
    ends = np.vstack([np.zeros(3), length * np.eye(3)])
    pix = project_points(ends, poses[valid], intrinsics)  # (N,4,2): origin, x, y, z ends
    for axis in (2, 1, 0):  # x drawn last, on top
        segments = _polylines(pix[:, [0, axis + 1]])
        cv2.polylines(img, segments, False, AXIS_COLORS[axis], thickness, cv2.LINE_AA, _SHIFT)
    return img
