"""The textured 3D face the synthetic data is drawn from: menpo3d's ``james`` scan.

The scan (BSD-3) ships in the menpo3d 0.8.6 sdist on PyPI and is fetched with pip once.
It is read from its OBJ, texture and LJSON landmarks and put in img2pose's reference axes.
"""
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np
from scipy.spatial import ConvexHull

from mmpose6d.geometry import FLIP_PERM_68
from mmpose6d.utils.landmark_io import read_ljson_points
from mmpose6d.utils.pypi_files import fetch_package_file

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
    points, masks = read_ljson_points(path, 'LJSON', with_labels=True)
    missing = set(IBUG_GROUP_ORDER) - set(masks)
    if missing:
        raise ValueError(f'{path}: landmark groups {sorted(missing)} missing; has '
                         f'{sorted(masks)}')
    order = np.concatenate([masks[name] for name in IBUG_GROUP_ORDER])
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

    @cached_property
    def hull(self):
        """Indices of the vertices on the mesh's convex hull: under any pose in front of the
        camera the projected extremes (the face's box) are among them."""
        return ConvexHull(self.vertices).vertices

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
