"""Pose labels from 2D landmarks: OpenCV EPnP in each box's own frame."""
import cv2
import numpy as np

from .pose import pose_bbox_to_full_image

#: Reasons a face gets no pose label (NaN); the empty string means success.
PNP_OK = ''
PNP_INVALID_BOX = 'invalid_box'
PNP_MISSING_LANDMARKS = 'missing_landmarks'
PNP_NONFINITE_LANDMARKS = 'nonfinite_landmarks'
PNP_DEGENERATE_LANDMARKS = 'degenerate_landmarks'
PNP_SOLVER_FAILED = 'pnp_failed'


def _landmark_reason(landmarks):
    """Why a (P,2) landmark set cannot give a pose, or ``PNP_OK``."""
    if not np.isfinite(landmarks).all():
        return PNP_NONFINITE_LANDMARKS
    if (landmarks == -1).any():
        return PNP_MISSING_LANDMARKS
    centred = landmarks - landmarks.mean(0)
    singular = np.linalg.svd(centred, compute_uv=False)
    # all points coincide or lie on one line: the 2D spread has no second direction
    if singular[0] < 1e-3 or singular[1] < 1e-3 * singular[0]:
        return PNP_DEGENERATE_LANDMARKS
    return PNP_OK


def pose_from_landmarks(landmarks, boxes, reference3d, return_reasons=False):
    """EPnP local poses (N,6) from landmarks (N,P,2) in boxes (N,4), P matching the reference.

    Landmarks are shifted into the frame of the box cast to int and solved with the camera
    ``K_local`` of that box. A face whose box is invalid, whose landmarks are missing (-1),
    non-finite or degenerate, or whose PnP fails gets a NaN pose; nothing raises. With
    ``return_reasons`` the per-face reason strings (``''`` on success) are returned too.
    """
    landmarks = np.asarray(landmarks, dtype=np.float64).reshape(len(boxes), -1, 2)
    boxes = np.asarray(boxes, dtype=np.float64)
    # float32, as the original img2pose labels: EPnP on 5 points is ill-conditioned enough
    # that float64 inputs give visibly different poses.
    reference3d = np.ascontiguousarray(reference3d, dtype=np.float32)
    if landmarks.shape[1] != len(reference3d):
        raise ValueError(f'{landmarks.shape[1]} landmarks per face but the reference has '
                         f'{len(reference3d)} points')
    poses = np.full((len(boxes), 6), np.nan)
    reasons = [PNP_OK] * len(boxes)
    for i, (lms, box) in enumerate(zip(landmarks, boxes)):
        if not np.isfinite(box).all():
            reasons[i] = PNP_INVALID_BOX
            continue
        x1, y1, x2, y2 = box.astype(int)
        if x1 >= x2 or y1 >= y2:
            reasons[i] = PNP_INVALID_BOX
            continue
        reasons[i] = _landmark_reason(lms)
        if reasons[i]:
            continue
        bw, bh = x2 - x1, y2 - y1
        s = float(bw + bh)
        k_local = np.array([[s, 0, bw // 2], [0, s, bh // 2], [0, 0, 1]], dtype=np.float32)
        poses[i] = _solve_epnp(reference3d, lms - [x1, y1], k_local)
        if np.isnan(poses[i]).any():
            reasons[i] = PNP_SOLVER_FAILED
    return (poses, reasons) if return_reasons else poses


def _solve_epnp(reference3d, landmarks, camera):
    """OpenCV's EPnP pose (6,) of float32 ``reference3d`` seen at ``landmarks`` (P,2) by
    ``camera`` (3,3), no distortion; NaN where it fails."""
    try:
        ok, rvec, tvec = cv2.solvePnP(reference3d, np.ascontiguousarray(landmarks, np.float32),
                                      camera, None, flags=cv2.SOLVEPNP_EPNP)
    except cv2.error:
        ok = False
    pose = np.concatenate([rvec.ravel(), tvec.ravel()]) if ok else np.full(6, np.nan)
    return pose if np.isfinite(pose).all() else np.full(6, np.nan)


def global_pose_from_landmarks(landmarks, boxes, image_wh, reference3d, return_reasons=False):
    """Global pose labels (N,6): EPnP local poses moved into the image (int boxes), NaN on
    failure. The training pipeline's labelling step."""
    boxes_int = np.trunc(np.asarray(boxes, dtype=np.float64))
    local, reasons = pose_from_landmarks(landmarks, boxes_int, reference3d, return_reasons=True)
    valid = ~np.isnan(local).any(1)
    poses = np.full_like(local, np.nan)
    if valid.any():
        poses[valid] = pose_bbox_to_full_image(local[valid], np.asarray(image_wh, np.float64),
                                               boxes_int[valid])
    return (poses, reasons) if return_reasons else poses


def image_pose_from_landmarks(landmarks, image_wh, reference3d, return_reasons=False):
    """EPnP global poses (N,6) of landmarks (N,P,2) solved directly in the image camera
    ``K_img`` (f = w + h, centre (w // 2, h // 2)) of ``image_wh`` (2,): the labelling of
    img2pose's AFLW2000-3D evaluation (its target translation) and of its 300W-LP
    fine-tuning labels. NaN (and a reason) where a face cannot be solved, as
    :func:`pose_from_landmarks`."""
    landmarks = np.asarray(landmarks, dtype=np.float64).reshape(-1, len(reference3d), 2)
    reference3d = np.ascontiguousarray(reference3d, dtype=np.float32)
    width, height = (int(v) for v in image_wh)
    k_img = np.array([[width + height, 0, width // 2], [0, width + height, height // 2],
                      [0, 0, 1]], dtype=np.float64)
    poses = np.full((len(landmarks), 6), np.nan)
    reasons = [_landmark_reason(lms) for lms in landmarks]
    for i, lms in enumerate(landmarks):
        if reasons[i]:
            continue
        poses[i] = _solve_epnp(reference3d, lms, k_img)
        if np.isnan(poses[i]).any():
            reasons[i] = PNP_SOLVER_FAILED
    return (poses, reasons) if return_reasons else poses


#: the cameras :func:`labels_from_landmarks` solves pose labels in
SOLVE_IN = ('box', 'image')


def check_solve_in(solve_in):
    """Refuse a ``solve_in`` that is not one of :data:`SOLVE_IN`."""
    if solve_in not in SOLVE_IN:
        raise ValueError(f"solve_in must be {' or '.join(map(repr, SOLVE_IN))}, "
                         f"not {solve_in!r}")


def labels_from_landmarks(landmarks, boxes, image_wh, reference3d, solve_in='box',
                          return_reasons=False):
    """Global pose labels (N,6) of landmarks (N,P,2) in their boxes (N,4), solved in the
    camera ``solve_in`` names: ``'box'``, each face's box camera then moved into the image
    (:func:`global_pose_from_landmarks`, img2pose's training labels), or ``'image'``, the
    image camera directly (:func:`image_pose_from_landmarks`)."""
    check_solve_in(solve_in)
    if solve_in == 'box':
        return global_pose_from_landmarks(landmarks, boxes, image_wh, reference3d,
                                          return_reasons)
    return image_pose_from_landmarks(landmarks, image_wh, reference3d, return_reasons)
