"""A small software rasteriser: a textured, Lambert-shaded mesh drawn into an image."""
import cv2
import numpy as np

from mmpose6d.geometry import rotvec_to_matrix


def render_face(image, scan, pose, intrinsics, light=(0.3, -0.4, -1.0), ambient=0.45,
                tint=(1.0, 1.0, 1.0)):
    """Draw ``scan`` with global ``pose`` [rx,ry,rz,tx,ty,tz] into ``image`` (H,W[,3] uint8)
    in place; return its silhouette box [x1, y1, x2, y2] (ints: the covered pixels, pixel
    (i, j) spanning [i, i+1) x [j, j+1)) and mask (H,W) bool.

    Painter's algorithm, all triangles at once (:func:`_rasterise`): each pixel centre takes
    the nearest front-facing triangle (by mean depth) that covers it, its barycentric texture
    coordinates and normal, a texture lookup (``cv2.remap`` on a mip level matching the face
    size) and Lambert shading (``light``: direction toward the light in camera axes;
    ``tint``: BGR gains). Returns ``(None, None)`` when no pixel is covered.
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
    # the working window: the whole scan's projection (a cheaper bound than the drawn part)
    lo = np.clip(np.floor(pix.min(0)).astype(int), 0, [width, height])
    hi = np.clip(np.ceil(pix.max(0)).astype(int) + 1, 0, [width, height])
    if len(visible) == 0 or (hi <= lo).any():
        return None, None
    ids, ys, xs, index, weights = _rasterise(tri2d - lo, hi[0] - lo[0], hi[1] - lo[1])
    if not len(ys):
        return None, None
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


def _rasterise(tri2d, width, height):
    """Painter's algorithm over triangles (n,3,2) in drawing order, vectorised: each triangle
    lists the pixels of its bounding box, keeps those whose centre (pixel (i, j) spans
    [i, i+1) x [j, j+1)) lies inside it, and every pixel goes to the last triangle that
    keeps it. Returns the (height, width) int32 buffer of 1 + that triangle's index (0:
    uncovered) and, per covered pixel, its row, column, triangle index and barycentric
    weights (k,3)."""
    first = np.maximum(np.ceil(tri2d.min(1) - 0.5), 0).astype(np.int64)        # (n,2)
    last = np.minimum(np.floor(tri2d.max(1) - 0.5), [width - 1, height - 1]).astype(np.int64)
    span = last - first + 1
    a, edge1, edge2 = tri2d[:, 0], tri2d[:, 1] - tri2d[:, 0], tri2d[:, 2] - tri2d[:, 0]
    area = edge1[:, 0] * edge2[:, 1] - edge2[:, 0] * edge1[:, 1]
    drawn = np.flatnonzero((span > 0).all(1) & (np.abs(area) > 1e-12))
    counts = span[drawn, 0] * span[drawn, 1]
    owner = np.repeat(drawn, counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    xs = first[owner, 0] + offset % span[owner, 0]
    ys = first[owner, 1] + offset // span[owner, 0]
    dx, dy = xs + 0.5 - a[owner, 0], ys + 0.5 - a[owner, 1]
    w1 = (dx * edge2[owner, 1] - edge2[owner, 0] * dy) / area[owner]
    w2 = (edge1[owner, 0] * dy - dx * edge1[owner, 1]) / area[owner]
    weights = np.stack([1 - w1 - w2, w1, w2], 1)
    inside = (weights >= -1e-9).all(1)
    owner, pixel, weights = owner[inside], (ys * width + xs)[inside], weights[inside]
    ids = np.zeros(height * width, np.int32)
    np.maximum.at(ids, pixel, (owner + 1).astype(np.int32))
    won = ids[pixel] == owner + 1
    pixel, weights = pixel[won], np.clip(weights[won], 0, None)
    weights /= weights.sum(1, keepdims=True)
    return (ids.reshape(height, width), pixel // width, pixel % width, owner[won], weights)


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
