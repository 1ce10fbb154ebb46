"""A small software rasteriser: a textured, Lambert-shaded mesh drawn into an image."""
import cv2
import numpy as np

from mmpose6d.geometry import rotvec_to_matrix


def render_face(image, scan, pose, intrinsics, light=(0.3, -0.4, -1.0), ambient=0.45,
                tint=(1.0, 1.0, 1.0)):
    """Draw ``scan`` with global ``pose`` [rx,ry,rz,tx,ty,tz] into ``image`` (H,W[,3] uint8)
    in place; return its silhouette box [x1, y1, x2, y2] (ints: the covered pixels, pixel
    (i, j) spanning [i, i+1) x [j, j+1)) and mask (H,W) bool.

    Painter's algorithm: front-facing triangles, far first, are filled with their index by
    OpenCV into an id buffer (sub-pixel vertices); each covered pixel then gets barycentric
    texture coordinates and normal, a texture lookup (``cv2.remap`` on a mip level matching
    the face size) and Lambert shading (``light``: direction toward the light in camera
    axes; ``tint``: BGR gains). Returns ``(None, None)`` when no pixel is covered.
    """
    height, width = image.shape[:2]
    rotation = rotvec_to_matrix(np.asarray(pose[:3], np.float64)[None])[0]
    cam = scan.vertices @ rotation.T + np.asarray(pose[3:], np.float64)
    if (cam[:, 2] <= 1e-6).any():
        raise ValueError(f'pose {list(pose)} puts part of the face behind the camera')
    pix = cam @ np.asarray(intrinsics, np.float64).T
    pix = pix[:, :2] / pix[:, 2:]
    corners = cam[scan.triangles]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    visible = np.flatnonzero((normals * corners[:, 0]).sum(1) < 0)
    visible = visible[np.argsort(-corners[visible, :, 2].sum(1), kind='stable')]
    tri2d = pix[scan.triangles[visible]]                                   # (n,3,2)
    lo = np.clip(np.floor(tri2d.min((0, 1))).astype(int), 0, [width, height])
    hi = np.clip(np.ceil(tri2d.max((0, 1))).astype(int) + 1, 0, [width, height])
    if len(visible) == 0 or (hi <= lo).any():
        return None, None
    ids = np.zeros((hi[1] - lo[1], hi[0] - lo[0]), np.int32)
    # pixel (i, j) covers [i, i+1) x [j, j+1); OpenCV fills it when its centre is inside
    fixed = np.round((tri2d - lo - 0.5) * 16).astype(np.int32)
    for k, polygon in enumerate(fixed, 1):
        cv2.fillConvexPoly(ids, polygon, k, cv2.LINE_8, 4)
    ys, xs = np.nonzero(ids)
    if not len(ys):
        return None, None
    index = ids[ys, xs] - 1
    weights = _barycentric(tri2d[index], np.stack([xs + lo[0], ys + lo[1]], 1) + 0.5)
    uv = np.einsum('nk,nkd->nd', weights, scan.triangle_uv[visible][index])
    texture = _mip_level(scan, tri2d, visible)
    th, tw = texture.shape[:2]
    colour = _sample(texture, uv[:, 0] * tw - 0.5, (1 - uv[:, 1]) * th - 0.5)
    normal = np.einsum('nk,nkd->nd', weights, scan.normals[scan.triangles[visible][index]])
    normal = normal @ rotation.T
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    light = np.asarray(light, np.float64) / np.linalg.norm(light)
    shade = ambient + (1 - ambient) * np.clip(normal @ light, 0, None)
    colour = colour * (shade[:, None] * np.asarray(tint, np.float32))
    if image.ndim == 2:
        colour = colour @ np.array([0.114, 0.587, 0.299], np.float32)
    region = image[lo[1]:hi[1], lo[0]:hi[0]]
    inside = ids > 0
    # soften the silhouette: border pixels are partly blended with what lies under them
    alpha = np.minimum(cv2.blur(inside.astype(np.float32), (3, 3)) * 1.5, 1.0)[ys, xs]
    alpha = alpha[:, None] if image.ndim == 3 else alpha
    region[ys, xs] = np.clip(alpha * colour + (1 - alpha) * region[ys, xs], 0, 255).astype(
        np.uint8)
    mask = np.zeros((height, width), bool)
    mask[lo[1]:hi[1], lo[0]:hi[0]] = inside
    box = [int(xs.min() + lo[0]), int(ys.min() + lo[1]), int(xs.max() + lo[0] + 1),
           int(ys.max() + lo[1] + 1)]
    return box, mask


def _barycentric(triangles, points):
    """Barycentric weights (n,3) of points (n,2) in triangles (n,3,2), clipped to the
    triangle (rasterised edge pixels may lie a fraction outside)."""
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    v0, v1, v2 = b - a, c - a, points - a
    den = v0[:, 0] * v1[:, 1] - v1[:, 0] * v0[:, 1]
    den = np.where(np.abs(den) < 1e-12, 1e-12, den)
    w1 = (v2[:, 0] * v1[:, 1] - v1[:, 0] * v2[:, 1]) / den
    w2 = (v0[:, 0] * v2[:, 1] - v2[:, 0] * v0[:, 1]) / den
    weights = np.clip(np.stack([1 - w1 - w2, w1, w2], 1), 0, None)
    return weights / np.maximum(weights.sum(1, keepdims=True), 1e-12)


def _sample(image, x, y):
    """Bilinear samples (n,C) float32 of ``image`` at pixel coordinates x, y (n,)."""
    # remap wants maps under 32767 rows: lay the n samples out as rows of 1024
    n = len(x)
    rows = -(-n // 1024)
    maps = np.zeros((2, rows * 1024), np.float32)
    maps[0, :n], maps[1, :n] = x, y
    out = cv2.remap(image, maps[0].reshape(rows, 1024), maps[1].reshape(rows, 1024),
                    cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(rows * 1024, -1)[:n].astype(np.float32)


def _mip_level(scan, tri2d, visible):
    """The texture level whose texels are about one screen pixel on the drawn triangles."""
    def area(t):
        d1, d2 = t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]
        return np.abs(d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]).sum()

    th, tw = scan.textures[0].shape[:2]
    texels = area(scan.triangle_uv[visible] * [tw, th])
    ratio = np.sqrt(texels / max(area(tri2d), 1e-9))  # texels per pixel, per side
    level = int(np.clip(np.floor(np.log2(max(ratio, 1.0))), 0, len(scan.textures) - 1))
    return scan.textures[level]
