"""Boxes with scores, pose axes, points and translucent meshes drawn on BGR images with cv2:
one cv2 call per colour for all faces where cv2 allows it."""
import cv2
import numpy as np
from scipy.spatial import Delaunay

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


def draw_boxes(img, boxes, color=(245, 165, 66), thickness=2, texts=None):
    """Draw boxes (N,4) on ``img`` in place, each with an optional text (e.g. its score
    ``'0.93'``) on a filled tab above its top-left corner (inside the image). Empty and
    non-finite boxes are skipped. Returns ``img``."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    keep = np.isfinite(boxes).all(1) & (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    boxes = boxes[keep]
    texts = None if texts is None else [t for t, k in zip(texts, keep) if k]
    if not len(boxes):
        return img
    corners = boxes[:, [0, 1, 2, 1, 2, 3, 0, 3]].reshape(-1, 4, 2)
    cv2.polylines(img, _polylines(corners), True, color, thickness, cv2.LINE_AA, _SHIFT)
    if texts:
        scale = float(np.clip(min(img.shape[:2]) / 900, 0.4, 1.0))
        weight = max(1, round(2 * scale))
        text_color = (0, 0, 0) if sum(color) > 380 else (255, 255, 255)
        for (x1, y1, _, _), text in zip(boxes, texts):
            (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, weight)
            x = int(np.clip(x1, 0, max(img.shape[1] - tw - 4, 0)))
            y = int(np.clip(y1, th + base + 4, img.shape[0]))
            cv2.rectangle(img, (x, y - th - base - 4), (x + tw + 4, y), color, -1)
            cv2.putText(img, text, (x + 2, y - base - 2), cv2.FONT_HERSHEY_SIMPLEX, scale,
                        text_color, weight, cv2.LINE_AA)
    return img


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


def reference_triangles(reference3d):
    """(T,3) vertex indices of the Delaunay triangulation of a reference's frontal (x, y).

    One fixed triangulation of the 3D reference (not of each projected face) keeps the mesh
    topology the same for every pose and is computed once.
    """
    reference3d = np.asarray(reference3d, dtype=np.float64)
    return Delaunay(reference3d[:, :2]).simplices.astype(np.int64)


def draw_mesh(img, points, triangles, color=(255, 255, 255), alpha=0.3, edge_color=None,
              thickness=1):
    """Blend the triangles (T,3) of each face's points (N,P,2) into ``img`` in place.

    Triangles are filled with ``color`` at opacity ``alpha`` (overlaps count once) and, with
    ``edge_color``, outlined opaquely. Faces with non-finite points are skipped. Returns ``img``.
    """
    points = np.asarray(points, dtype=np.float64)
    points = points[None] if points.ndim == 2 else points
    points = points[np.isfinite(points).all((1, 2))]
    if not len(points):
        return img
    tris = _polylines(points[:, triangles].reshape(-1, 3, 2))
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(mask, tris, 255, cv2.LINE_AA, _SHIFT)
    inside = mask > 0
    weight = (alpha / 255.0) * mask[inside][:, None].astype(np.float32)
    img[inside] = np.round(img[inside] * (1 - weight) + np.float32(color) * weight)
    if edge_color is not None:
        cv2.polylines(img, tris, True, edge_color, thickness, cv2.LINE_AA, _SHIFT)
    return img
