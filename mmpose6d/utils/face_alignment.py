"""Face alignment: similarity warps of faces onto the ArcFace 112x112 5-point template.

Face recognition models (ArcFace and most of its successors) expect faces warped so that
their eye centres, nose tip and mouth corners land on a fixed template. The 5 points are in
img2pose's order: image-left eye (the subject's right), image-right eye, nose tip,
image-left mouth corner (iBUG 48), image-right mouth corner (iBUG 54) -- the template's order.
"""
import cv2
import numpy as np

#: ArcFace's 5-point template for 112x112 crops, in the img2pose 5-point order.
ARCFACE_TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                             [41.5493, 92.3655], [70.7299, 92.2041]])


def similarity_transforms(src, dst):
    """Least-squares similarity transforms (Umeyama) mapping each ``src`` (N,P,2) onto
    ``dst`` (P,2): (N,2,3) affine matrices ``[s R | t]`` (a rotation, never a reflection)."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    if src.ndim != 3 or src.shape[1:] != dst.shape or dst.shape[1] != 2:
        raise ValueError(f'points {src.shape} and template {dst.shape} must be (N,P,2) and '
                         '(P,2)')
    src_mean, dst_mean = src.mean(1, keepdims=True), dst.mean(0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    cov = np.einsum('pi,npj->nij', dst_c, src_c) / len(dst)
    u, sigma, vt = np.linalg.svd(cov)
    d = np.ones((len(src), 2))
    d[:, 1] = np.sign(np.linalg.det(u) * np.linalg.det(vt))
    rot = u @ (d[:, :, None] * vt)
    var = (src_c**2).sum((1, 2)) / len(dst)
    scale = (sigma * d).sum(1) / var
    linear = scale[:, None, None] * rot
    trans = dst_mean - np.einsum('nij,nj->ni', linear, src_mean[:, 0])
    return np.concatenate([linear, trans[:, :, None]], 2)


def align_faces(img, points5, size=112, template=ARCFACE_TEMPLATE):
    """Crops (N,size,size,C) of ``img`` with each face's 5 points (N,5,2) warped onto the
    template (given for 112x112, scaled to ``size``). Faces with non-finite points give
    black crops."""
    points5 = np.asarray(points5, dtype=np.float64).reshape(-1, 5, 2)
    crops = np.zeros((len(points5), size, size, *img.shape[2:]), dtype=img.dtype)
    valid = np.isfinite(points5).all((1, 2))
    if valid.any():
        warps = similarity_transforms(points5[valid], np.asarray(template) * (size / 112))
        for i, warp in zip(np.flatnonzero(valid), warps):
            crops[i] = cv2.warpAffine(img, warp, (size, size), flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_CONSTANT).reshape(crops[i].shape)
    return crops
