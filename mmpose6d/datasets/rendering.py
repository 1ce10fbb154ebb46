"""Synthetic face images with exact 6DoF poses: a textured 3D face scan rendered with OpenCV.

The scan is menpo3d's ``james`` (BSD-3, shipped in the menpo3d 0.8.6 sdist and fetched with
pip). Faces are drawn with the img2pose camera (``docs/geometry.md``): a global pose
``[rx, ry, rz, tx, ty, tz]`` maps scan points X to ``R(r) X + t`` and ``K_img`` projects them,
so the projected scan landmarks and the render poses are exact labels for tests and demos.
This module imports neither mmdet nor mmcv.
"""
import json
import multiprocessing
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from mmpose6d.geometry import (FLIP_PERM_68, global_pose_from_landmarks, image_intrinsics,
                               matrix_to_rotvec, pose_bbox_to_full_image,
                               pose_full_image_to_bbox, project_points, rotvec_to_euler,
                               rotvec_to_matrix)
from mmpose6d.utils.registry_assets import fetch_package_file

SCAN_PACKAGE = 'menpo3d'
SCAN_VERSION = '0.8.6'
#: sha256 of ``menpo3d-0.8.6.tar.gz`` on PyPI.
SCAN_SHA256 = '96ad2c8b55b74e026cdc190cf6b1564ad7c8e6c53976cf897d6a1bf4940f084a'
SCAN_MEMBERS = ('menpo3d/data/james.obj', 'menpo3d/data/james.jpg',
                'menpo3d/data/james.ljson')

#: menpo's labelled groups of the 68 scan landmarks, in iBUG order. The ljson stores them as
#: chin, leye, reye, leyebrow, nose, reyebrow, mouth ("l" = image left = the subject's right);
#: inside each group the points already run in iBUG order.
IBUG_GROUP_ORDER = ('chin', 'leyebrow', 'reyebrow', 'nose', 'leye', 'reye', 'mouth')

#: The scan is in millimetres; img2pose reference points are in decimetres.
MM_TO_DM = 0.01


def fetch_face_scan(cache_dir='data/cache'):
    """Paths (obj, jpg, ljson) of the james scan, downloaded once into ``cache_dir``."""
    return tuple(
        fetch_package_file(SCAN_PACKAGE, SCAN_VERSION, member, cache_dir, sha256=SCAN_SHA256)
        for member in SCAN_MEMBERS)


def landmarks_5(landmarks68):
    """The 5 img2pose points (..., 5, D) of 68 iBUG points (..., 68, D): eye centres (36-41,
    42-47), nose tip 30, mouth corners 48 and 54."""
    lm = np.asarray(landmarks68)
    return np.stack([lm[..., 36:42, :].mean(-2), lm[..., 42:48, :].mean(-2), lm[..., 30, :],
                     lm[..., 48, :], lm[..., 54, :]], -2)


def _read_obj(path):
    """Vertices (V,3), texture coordinates (T,2) and triangles (F,3) of vertex and of uv
    indices, 0-based, from a textured Wavefront OBJ made of triangles."""
    vertices, uvs, faces = [], [], []
    for line in Path(path).read_text().splitlines():
        if line.startswith('v '):
            vertices.append(line[2:])
        elif line.startswith('vt '):
            uvs.append(line[3:])
        elif line.startswith('f '):
            faces.append(line[2:])
    if not vertices or not uvs or not faces:
        raise ValueError(f'{path}: a textured OBJ needs "v", "vt" and "f" lines')
    corners = ' '.join(faces).split()
    if len(corners) != 3 * len(faces):
        raise ValueError(f'{path}: only triangle faces are supported')
    fields = corners[0].split('/')
    if len(fields) < 2 or not fields[1] or any(c.count('/') != len(fields) - 1 for c in corners):
        raise ValueError(f'{path}: faces must be "v/vt" or "v/vt/vn" on every corner')
    try:
        vertices = np.array(' '.join(vertices).split(), np.float64).reshape(len(vertices), -1)
        uvs = np.array(' '.join(uvs).split(), np.float64).reshape(len(uvs), -1)
        index = np.array(' '.join(corners).replace('/', ' ').split(), np.int64)
    except ValueError:
        raise ValueError(f'{path}: malformed numbers or a varying number of fields per '
                         '"v"/"vt" line') from None
    index = index.reshape(len(faces), 3, len(fields)) - 1
    tri, tri_uv = index[..., 0], index[..., 1]
    if (tri < 0).any() or (tri_uv < 0).any() or tri.max() >= len(vertices) or \
            tri_uv.max() >= len(uvs):
        raise ValueError(f'{path}: face indices out of range (negative indices unsupported)')
    return vertices[:, :3], uvs[:, :2], tri, tri_uv


def _read_ljson_ibug68(path):
    """The 68 landmarks (68,3) of a menpo3d face ljson, reordered to iBUG order by group."""
    with open(path) as f:
        group = json.load(f)['groups']['LJSON']
    masks = {label['label']: label['mask'] for label in group['labels']}
    missing = set(IBUG_GROUP_ORDER) - set(masks)
    if missing:
        raise ValueError(f'{path}: landmark groups {sorted(missing)} missing; has '
                         f'{sorted(masks)}')
    order = np.concatenate([masks[name] for name in IBUG_GROUP_ORDER])
    points = np.array(group['landmarks']['points'], np.float64)
    if points.shape != (68, 3) or sorted(order) != list(range(68)):
        raise ValueError(f'{path}: expected 68 3D points in the groups {IBUG_GROUP_ORDER}')
    return points[order]


def reference_frame(landmarks68):
    """Rotation (3,3, rows = new axes) and origin of the img2pose face axes of 68 3D points.

    x: the mean of the mirror-pair vectors (subject's right to left point, e.g. 0 -> 16),
    i.e. the normal of the face's symmetry plane; z: the least-variance direction of the
    landmarks orthogonal to x, signed so the nose tip (30) has z < 0 (toward the camera);
    y = z x x, pointing to the chin. Origin: the landmarks' centroid.
    """
    centre = landmarks68.mean(0)
    points = landmarks68 - centre
    right = FLIP_PERM_68 > np.arange(68)
    x = (points[FLIP_PERM_68[right]] - points[right]).sum(0)
    x /= np.linalg.norm(x)
    in_plane = points - np.outer(points @ x, x)
    z = np.linalg.svd(in_plane, full_matrices=False)[2][1]  # [2] is x itself (variance 0)
    z = -z if points[30] @ z > 0 else z
    rotation = np.stack([x, np.cross(z, x), z])
    if (points[8] - points[27]) @ rotation[1] <= 0:
        raise ValueError('landmarks in an unexpected order: the chin (8) is not below the '
                         'nose bridge (27)')
    return rotation, centre


@dataclass
class FaceScan:
    """A textured triangle mesh in img2pose reference axes (decimetres, x to the face's left
    ear, y down, nose toward -z, origin at the landmark centroid) with its iBUG landmarks.

    ``textures`` is a mip pyramid (halving sizes) of the texture, so small faces do not alias.
    """
    vertices: np.ndarray        # (V,3) float64
    normals: np.ndarray         # (V,3) unit vertex normals
    triangles: np.ndarray       # (F,3) vertex indices, counter-clockwise seen from outside
    triangle_uv: np.ndarray     # (F,3,2) texture coordinates in [0,1], v up
    textures: tuple             # (H,W,3) uint8 BGR images, largest first
    landmarks68: np.ndarray     # (68,3) iBUG order

    @property
    def landmarks5(self):
        """The 5 img2pose points (5,3): eye centres, nose tip, mouth corners."""
        return landmarks_5(self.landmarks68)

    @classmethod
    def load(cls, obj, texture, ljson, units=MM_TO_DM, neck=0.15, max_texture_size=1024):
        """Read an OBJ, its texture and menpo ljson landmarks and normalise the axes.

        ``units`` scales the file's units to decimetres; the result is checked to have outer
        eye corners (36, 45) 0.5-1.5 dm apart. Triangles more than ``neck`` dm below the chin
        (landmark 8) are dropped, so the silhouette is a head, not a bust with a shirt.
        """
        vertices, uvs, triangles, triangle_uv = _read_obj(obj)
        landmarks = _read_ljson_ibug68(ljson)
        rotation, centre = reference_frame(landmarks)
        vertices = (vertices - centre) @ rotation.T * units
        landmarks = (landmarks - centre) @ rotation.T * units
        eyes = np.linalg.norm(landmarks[36] - landmarks[45])
        if not 0.5 < eyes < 1.5:
            raise ValueError(f'{ljson}: outer eye corners are {eyes:.3f} dm apart with units '
                             f'{units}; expected about 0.9 (wrong units?)')
        keep = (vertices[triangles, 1] <= landmarks[8, 1] + neck).all(1)
        used, triangles = np.unique(triangles[keep], return_inverse=True)
        vertices, triangles, triangle_uv = vertices[used], triangles.reshape(-1, 3), \
            triangle_uv[keep]
        image = cv2.imread(str(texture), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f'{texture}: not a readable image')
        scale = max_texture_size / max(image.shape[:2])
        if scale < 1:
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        textures = [image]
        while min(textures[-1].shape[:2]) > 32:
            textures.append(cv2.pyrDown(textures[-1]))
        return cls(vertices=vertices, normals=_vertex_normals(vertices, triangles),
                   triangles=triangles, triangle_uv=uvs[triangle_uv], textures=tuple(textures),
                   landmarks68=landmarks)

    @classmethod
    def fetch(cls, cache_dir='data/cache'):
        """The james scan, downloaded once into ``cache_dir`` and loaded."""
        return cls.load(*fetch_face_scan(cache_dir))


def _vertex_normals(vertices, triangles):
    """Area-weighted unit vertex normals (V,3) pointing out of the mesh."""
    corners = vertices[triangles]
    face_normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    normals = np.zeros_like(vertices)
    for k in range(3):
        np.add.at(normals, triangles[:, k], face_normals)
    return normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)


def euler_to_rotvec(pitch, yaw, roll):
    """Rotation vectors (N,3) of pitch, yaw, roll in degrees: the inverse of
    :func:`mmpose6d.geometry.rotvec_to_euler` (``R^T = Rz(-roll) Ry(-yaw) Rx(pitch)``)."""
    a0, a1, a2 = np.radians(np.broadcast_arrays(pitch, -np.asarray(yaw), -np.asarray(roll)))
    c0, s0, c1, s1, c2, s2 = np.cos(a0), np.sin(a0), np.cos(a1), np.sin(a1), np.cos(a2), \
        np.sin(a2)
    one, zero = np.ones_like(a0), np.zeros_like(a0)
    rx = np.stack([one, zero, zero, zero, c0, -s0, zero, s0, c0], -1).reshape(-1, 3, 3)
    ry = np.stack([c1, zero, s1, zero, one, zero, -s1, zero, c1], -1).reshape(-1, 3, 3)
    rz = np.stack([c2, -s2, zero, s2, c2, zero, zero, zero, one], -1).reshape(-1, 3, 3)
    return matrix_to_rotvec((rz @ ry @ rx).transpose(0, 2, 1))


def _rotation_matrix(rotvec):
    return cv2.Rodrigues(np.asarray(rotvec, np.float64).reshape(3, 1))[0]


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
    rotation = _rotation_matrix(pose[:3])
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


def random_background(rng, height, width):
    """A face-free background (H,W,3) uint8: a gradient or smooth noise, optionally with
    stripes and random shapes on top."""
    if rng.random() < 0.5:
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        angle = rng.uniform(0, 2 * np.pi)
        ramp = xs * np.cos(angle) + ys * np.sin(angle)
        ramp = (ramp - ramp.min()) / max(np.ptp(ramp), 1)
        colours = rng.uniform(0, 255, (2, 3)).astype(np.float32)
        image = colours[0] + ramp[..., None] * (colours[1] - colours[0])
    else:
        cells = rng.integers(2, 24)
        coarse = rng.uniform(0, 1, (cells, cells, 3)).astype(np.float32)
        image = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
        low, high = np.sort(rng.uniform(0, 255, 2))
        image = low + np.clip(image, 0, 1) * (high - low + 30)
    if rng.random() < 0.35:
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        angle = rng.uniform(0, np.pi)
        period = rng.uniform(6, max(8, min(height, width) / 3))
        wave = np.sin((xs * np.cos(angle) + ys * np.sin(angle)) * 2 * np.pi / period)
        wave = (wave > 0).astype(np.float32) if rng.random() < 0.5 else 0.5 + 0.5 * wave
        image = image + wave[..., None] * (rng.uniform(0, 255, 3) - image) * \
            rng.uniform(0.3, 1)
    image = np.clip(image, 0, 255).astype(np.uint8)
    for _ in range(rng.integers(0, 25) if rng.random() < 0.8 else 0):
        _draw_shape(rng, image)
    return image


def _draw_shape(rng, image):
    """Draw one random filled or outlined circle, ellipse, rectangle, polygon or line."""
    height, width = image.shape[:2]
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    scale = min(height, width)
    centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
    thickness = -1 if rng.random() < 0.6 else int(rng.integers(1, 8))
    kind = rng.integers(0, 5)
    if kind == 0:
        cv2.circle(image, centre, int(rng.uniform(0.02, 0.25) * scale), colour, thickness,
                   cv2.LINE_AA)
    elif kind == 1:
        axes = tuple(int(a) for a in rng.uniform(0.02, 0.3, 2) * scale)
        cv2.ellipse(image, centre, axes, rng.uniform(0, 180), 0, 360, colour, thickness,
                    cv2.LINE_AA)
    elif kind == 2:
        size = rng.uniform(0.03, 0.4, 2) * scale
        corner = (int(centre[0] + size[0]), int(centre[1] + size[1]))
        cv2.rectangle(image, centre, corner, colour, thickness)
    elif kind == 3:
        points = (np.array(centre) + rng.normal(0, 0.12 * scale, (rng.integers(3, 8), 2)))
        cv2.fillPoly(image, [points.astype(np.int32)], colour, cv2.LINE_AA)
    else:
        end = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.line(image, centre, end, colour, int(rng.integers(1, 12)), cv2.LINE_AA)


def _photometric(rng, image):
    """Random contrast, brightness, gamma, colour cast, blur and noise of a BGR image."""
    image = image.astype(np.float32)
    image = image * rng.uniform(0.7, 1.3) + rng.uniform(-30, 30)
    image *= rng.uniform(0.85, 1.15, 3).astype(np.float32)
    gamma = 255 * (np.arange(256) / 255) ** rng.uniform(0.7, 1.4)
    image = cv2.LUT(np.clip(image, 0, 255).astype(np.uint8), gamma).astype(np.float32)
    if rng.random() < 0.3:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, 1.5))
    if rng.random() < 0.5:
        image += rng.normal(0, rng.uniform(2, 9), image.shape).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def _sample_faces(rng, scan, width, height, num_faces, face_size, yaw, pitch, roll,
                  tries=40):
    """Up to ``num_faces`` global poses (N,6) of faces fully inside the image, in front of the
    camera, whose projected bounding boxes (N,4, int, returned too) do not overlap; sizes
    (head height in pixels) log-uniform in ``face_size``, Euler angles uniform in
    +-``yaw``, +-``pitch``, +-``roll``."""
    intrinsics = image_intrinsics(width, height)
    f, cx, cy = intrinsics[0, 0], intrinsics[0, 2], intrinsics[1, 2]
    head = np.ptp(scan.vertices[:, 1])
    largest = min(face_size[1], 0.9 * min(width, height))
    poses, boxes = [], []
    for _ in range(num_faces * tries):
        if len(poses) == num_faces:
            break
        size = np.exp(rng.uniform(np.log(face_size[0]), np.log(max(largest, face_size[0]))))
        rotvec = euler_to_rotvec(rng.uniform(-pitch, pitch), rng.uniform(-yaw, yaw),
                                 rng.uniform(-roll, roll))[0]
        tz = f * head / size
        u, v = rng.uniform(0, width), rng.uniform(0, height)
        pose = np.r_[rotvec, (u - cx) * tz / f, (v - cy) * tz / f, tz]
        cam = scan.vertices @ _rotation_matrix(rotvec).T + pose[3:]
        pix = cam[:, :2] / cam[:, 2:] * f + [cx, cy]
        box = np.r_[np.floor(pix.min(0)) - 1, np.ceil(pix.max(0)) + 1]
        if box[0] < 0 or box[1] < 0 or box[2] > width - 1 or box[3] > height - 1:
            continue
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
               for b in boxes):
            continue
        poses.append(pose)
        boxes.append(box)
    return np.array(poses).reshape(-1, 6), np.array(boxes).reshape(-1, 4)


def box_camera(box):
    """img2pose's camera of a face box, in image pixels: ``K_local`` (focal bw + bh, centre
    (bw // 2, bh // 2)) shifted by the box corner."""
    x1, y1, x2, y2 = box
    bw, bh = x2 - x1, y2 - y1
    return np.array([[bw + bh, 0, x1 + bw // 2], [0, bw + bh, y1 + bh // 2], [0, 0, 1]], float)


@dataclass
class RenderOptions:
    """What :func:`render_image` draws: image size (long side; the short side is
    ``aspect`` times it), faces per image, their pixel sizes and angle ranges (degrees), and
    the fractions of grayscale images, 5-point faces and unlabelled (-1) faces."""
    image_size: int = 640
    aspect: tuple = (0.6, 1.0)
    faces: tuple = (1, 6)
    face_size: tuple = (30, 250)
    yaw: float = 80
    pitch: float = 35
    roll: float = 30
    grayscale_fraction: float = 0.05
    five_point_fraction: float = 0.2
    unlabelled_fraction: float = 0.05


def render_image(scan, rng, options):
    """One synthetic image: (image (H,W,3) or grayscale (H,W) uint8, face boxes (N,4) int,
    global poses (N,6), landmark labels: list of (68,2)/(5,2) arrays, -1 if unlabelled,
    jpeg quality)."""
    long_side = options.image_size
    short_side = int(round(long_side * rng.uniform(*options.aspect)))
    width, height = (long_side, short_side) if rng.random() < 0.5 else (short_side, long_side)
    image = random_background(rng, height, width)
    poses, boxes = _sample_faces(rng, scan, width, height,
                                 int(rng.integers(options.faces[0], options.faces[1] + 1)),
                                 options.face_size, options.yaw, options.pitch, options.roll)
    order = np.argsort(-poses[:, 5])  # far first, should boxes ever touch
    poses, boxes = poses[order], boxes[order]
    # Each face is drawn as img2pose's labelling sees it: by the camera of its annotation box
    # with the local pose, so EPnP in that box frame inverts the landmarks exactly. The saved
    # global pose is that local pose moved into the image (docs/geometry.md), the label img2pose
    # would give; it differs from the sampled one only by the box-frame approximation.
    image_wh = np.array([width, height], float)
    local = pose_full_image_to_bbox(poses, image_wh, boxes).reshape(-1, 6)
    kept = []
    for i, (pose, box) in enumerate(zip(local, boxes)):
        light = rng.uniform([-1, -1, -1.5], [1, 0.5, -0.3])
        tint = rng.uniform(0.55, 1.25) * rng.uniform(0.9, 1.1, 3)
        silhouette, _ = render_face(image, scan, pose, box_camera(box), light=light,
                                    ambient=rng.uniform(0.25, 0.7), tint=tint)
        if silhouette is not None:
            kept.append(i)
    local, boxes = local[kept], boxes[kept].astype(int)
    poses = pose_bbox_to_full_image(local, image_wh, boxes).reshape(-1, 6)
    image = _photometric(rng, image)
    if rng.random() < options.grayscale_fraction:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    cameras = [box_camera(box) for box in boxes]
    points68 = np.array([project_points(scan.landmarks68, p[None], k)[0]
                         for p, k in zip(local, cameras)]).reshape(-1, 68, 2)
    points5 = np.array([project_points(scan.landmarks5, p[None], k)[0]
                        for p, k in zip(local, cameras)]).reshape(-1, 5, 2)
    kinds = rng.random(len(poses))
    labels = [np.full((5, 2), -1) if kind < options.unlabelled_fraction else
              p5 if kind < options.unlabelled_fraction + options.five_point_fraction else p68
              for kind, p5, p68 in zip(kinds, points5, points68)]
    return image, boxes, poses, labels, int(rng.integers(60, 96))


_WORKER = {}


def _init_worker(scan, out_dir, split, seed, options):
    _WORKER.update(scan=scan, out_dir=Path(out_dir), split=split, seed=seed, options=options)


def _init_pool_worker(*args):
    torch.set_num_threads(1)  # the processes are the parallelism; more threads only contend
    _init_worker(*args)


def _render_one(index):
    """Render and write image ``index`` of the worker's split; its (image_path, poses)."""
    w = _WORKER
    rng = np.random.default_rng([w['seed'], zlib.crc32(w['split'].encode()), index])
    image, boxes, poses, labels, quality = render_image(w['scan'], rng, w['options'])
    name = f'{w["split"]}_{index:06d}'
    image_path = f'{name}.jpg'
    cv2.imwrite(str(w['out_dir'] / w['split'] / 'images' / image_path), image,
                [cv2.IMWRITE_JPEG_QUALITY, quality])
    record = {'image_path': image_path, 'bboxes': boxes.tolist(),
              'landmarks': [lm.tolist() for lm in labels]}
    with open(w['out_dir'] / 'annotations' / w['split'] / f'{name}.json', 'w') as f:
        json.dump(record, f)
    return image_path, poses.tolist()


def split_files(out_dir, split):
    """The split-level outputs of :func:`generate_dataset`: list file, render poses, meta."""
    ann = Path(out_dir) / 'annotations'
    return (ann / f'{split}_annotations.txt', ann / f'{split}_render_poses.json',
            ann / f'{split}_render_meta.json')


def _complete(out_dir, split, meta):
    """Whether ``split`` was already generated with the same ``meta`` and all its files
    exist."""
    list_file, poses_file, meta_file = split_files(out_dir, split)
    if not (meta_file.is_file() and list_file.is_file() and poses_file.is_file()):
        return False
    with open(meta_file) as f:
        if json.load(f) != meta:
            return False
    ann = list_file.parent
    jsons = [ann / line for line in list_file.read_text().split()]
    images = Path(out_dir) / split / 'images'
    return len(jsons) == meta['num_images'] and all(p.is_file() for p in jsons) and all(
        (images / f'{p.stem}.jpg').is_file() for p in jsons)


def generate_dataset(out_dir, split, num_images, image_size=640, seed=0, workers=1,
                     scan=None, cache_dir='data/cache', **options):
    """Render ``num_images`` images of ``split`` into ``out_dir`` in img2pose's JSON format.

    Writes ``<split>/images/<name>.jpg``, ``annotations/<split>/<name>.json``
    (``image_path``, silhouette ``bboxes``, ``landmarks``: 68 or 5 points, or 5 x -1),
    the list file ``annotations/<split>_annotations.txt``, the exact global poses
    ``annotations/<split>_render_poses.json`` (``{image_path: [[rx,ry,rz,tx,ty,tz], ...]}`` in
    box order), ``annotations/<split>_render_meta.json`` (the arguments; a later call with the
    same ones returns at once) and, per ``out_dir``, the scan's own ``scan_ref68.npy`` and
    ``scan_ref5.npy``. Image i of a split depends only on (seed, split, i), whatever
    ``workers``. ``options`` are :class:`RenderOptions` fields. Returns
    ``{'images', 'faces', 'skipped'}``.
    """
    out_dir = Path(out_dir)
    opts = RenderOptions(image_size=image_size, **options)
    meta = {'split': split, 'num_images': num_images, 'seed': seed,
            'scan': f'{SCAN_PACKAGE}-{SCAN_VERSION}/james', **vars(opts)}
    meta = json.loads(json.dumps(meta))  # tuples as lists, as read back
    list_file, poses_file, meta_file = split_files(out_dir, split)
    if _complete(out_dir, split, meta):
        with open(poses_file) as f:
            poses = json.load(f)
        return {'images': num_images, 'faces': sum(map(len, poses.values())), 'skipped': True}
    scan = scan if scan is not None else FaceScan.fetch(cache_dir)
    (out_dir / split / 'images').mkdir(parents=True, exist_ok=True)
    (out_dir / 'annotations' / split).mkdir(parents=True, exist_ok=True)
    meta_file.unlink(missing_ok=True)
    np.save(out_dir / 'scan_ref68.npy', scan.landmarks68)
    np.save(out_dir / 'scan_ref5.npy', scan.landmarks5)
    init = (scan, out_dir, split, seed, opts)
    if workers > 1:
        context = multiprocessing.get_context('spawn')
        with context.Pool(workers, _init_pool_worker, init) as pool:
            results = pool.map(_render_one, range(num_images), chunksize=4)
    else:
        _init_worker(*init)
        results = [_render_one(i) for i in range(num_images)]
    list_file.write_text(''.join(f'{split}/{Path(p).stem}.json\n' for p, _ in results))
    with open(poses_file, 'w') as f:
        json.dump(dict(results), f)
    with open(meta_file, 'w') as f:
        json.dump(meta, f, indent=1)
    return {'images': num_images, 'faces': sum(len(p) for _, p in results), 'skipped': False}


def rotation_error_deg(poses_a, poses_b):
    """Angle (N,) in degrees of ``R_a^T R_b`` between the rotations of poses (N,6)."""
    rel = rotvec_to_matrix(poses_a[:, :3]).transpose(0, 2, 1) @ rotvec_to_matrix(
        poses_b[:, :3])
    cos = (np.trace(rel, axis1=1, axis2=2) - 1) / 2
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def label_errors(data_dir, split, reference68=None, reference5=None):
    """PnP pose labels of a rendered split against its exact render poses, per labelled face.

    Labels are made as in training (:func:`global_pose_from_landmarks` on the JSON landmarks
    and int boxes, image-sized ``K_img``) with ``reference68`` / ``reference5`` (default: the
    scan's own ``scan_ref68.npy`` / ``scan_ref5.npy`` in ``data_dir``; 5-point faces are left
    out when ``reference5`` is None and a 68-point file was given). Returns arrays over
    faces: ``points`` (68 or 5), ``rotation`` (degrees, angle of R_label^T R_render),
    ``euler`` (N,3: label minus render pitch, yaw, roll, degrees), ``translation``
    (|t_label - t_render| / |t_render|). With the scan's own points the labels equal the
    render poses (faces are drawn by the box-frame camera that img2pose's labelling
    assumes); another reference shows its bias.
    """
    data_dir = Path(data_dir)
    if reference68 is None:
        reference68, reference5 = data_dir / 'scan_ref68.npy', data_dir / 'scan_ref5.npy'
    references = {68: np.load(reference68)}
    if reference5 is not None:
        references[5] = np.load(reference5)
    list_file, poses_file, _ = split_files(data_dir, split)
    with open(poses_file) as f:
        render_poses = json.load(f)
    points, labels, truths = [], [], []
    for line in list_file.read_text().split():
        with open(list_file.parent / line) as f:
            record = json.load(f)
        image_file = data_dir / split / 'images' / record['image_path']
        image = cv2.imread(str(image_file), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise FileNotFoundError(f'{image_file}: missing or unreadable (listed in {line})')
        truth = np.array(render_poses[record['image_path']]).reshape(-1, 6)
        for box, landmarks, pose in zip(record['bboxes'], record['landmarks'], truth):
            landmarks = np.array(landmarks)
            if (landmarks == -1).any() or len(landmarks) not in references:
                continue
            label = global_pose_from_landmarks(landmarks[None], np.array([box]),
                                               image.shape[1::-1], references[len(landmarks)])
            points.append(len(landmarks))
            labels.append(label[0])
            truths.append(pose)
    labels, truths = np.array(labels).reshape(-1, 6), np.array(truths).reshape(-1, 6)
    return {'points': np.array(points, int), 'rotation': rotation_error_deg(labels, truths),
            'euler': (rotvec_to_euler(labels[:, :3]) - rotvec_to_euler(truths[:, :3]) + 180) %
            360 - 180,
            'translation': np.linalg.norm(labels[:, 3:] - truths[:, 3:], axis=1) /
            np.linalg.norm(truths[:, 3:], axis=1)}
