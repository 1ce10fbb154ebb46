"""Synthetic scenes: the face scan rendered several times into one photograph-like image,
every face through the image's own camera, with the labels an annotator would give."""
from dataclasses import dataclass

import cv2
import numpy as np

from mmpose6d.geometry import euler_to_rotvec, image_intrinsics, project_points

from .backgrounds import photo_background, procedural_background
from .raster import render_face


@dataclass
class RenderOptions:
    """What :func:`render_image` draws.

    Image size (long side; the short side is ``aspect`` times it), faces per image, their
    head heights in pixels (log-uniform) and angle ranges (degrees, uniform), how much of a
    face's box a nearer face may cover, the share of photograph backgrounds (scikit-image's
    ``photo_family``; the rest procedural, of a kind drawn uniformly from
    ``procedural_kinds``, see :data:`~mmpose6d.synthesis.backgrounds.PROCEDURAL_KINDS`), of
    grayscale images, of 5-point and of unlabelled (-1) faces, and the JPEG quality range.

    Lighting, per face: the direction toward the light is drawn uniformly in the box
    ``light_box`` (camera axes, z toward the scene: a negative z lights the visible side),
    the ambient share in ``ambient``, the light's gain in ``light_gain`` and its colour as
    per-channel BGR factors in ``1 +- light_colour``. ``hue_fraction`` of the images get
    their hue turned (the faces' too) by up to +-``hue_shift`` turns and their saturation
    scaled by 0.6-1.4 after the photometric changes.

    Camera: None, each image of a random size (``image_size``, ``aspect``, either
    orientation) seen by its image camera ``image_intrinsics(w, h)`` (f = w + h), as
    img2pose assumes; or ``(width, height, fx, fy, cx, cy)``: every image ``width`` x
    ``height`` seen by that pinhole camera (``image_size`` and ``aspect`` unused), e.g. to
    measure poses in a user's camera.
    """
    image_size: int = 640
    aspect: tuple = (0.6, 1.0)
    faces: tuple = (1, 6)
    face_size: tuple = (30, 250)
    yaw: float = 80
    pitch: float = 35
    roll: float = 30
    max_overlap: float = 0.3
    photo_fraction: float = 0.7
    photo_family: str = 'train'
    grayscale_fraction: float = 0.05
    five_point_fraction: float = 0.2
    unlabelled_fraction: float = 0.05
    jpeg_quality: tuple = (40, 95)
    procedural_kinds: tuple = ('texture',)
    light_box: tuple = ((-1, -1, -1.5), (1, 0.5, -0.3))
    ambient: tuple = (0.25, 0.7)
    light_gain: tuple = (0.55, 1.25)
    light_colour: float = 0.1
    hue_fraction: float = 0.0
    hue_shift: float = 0.5
    camera: tuple = None


def render_intrinsics(width, height, options):
    """The camera matrix (3,3) through which :func:`render_image` draws a ``width`` x
    ``height`` image: ``options.camera``'s, or the image camera ``image_intrinsics(w, h)``."""
    if options.camera is None:
        return image_intrinsics(width, height)
    camera_width, camera_height, fx, fy, cx, cy = options.camera
    if (width, height) != (camera_width, camera_height):
        raise ValueError(f'RenderOptions.camera is for {camera_width} x {camera_height} images, '
                         f'not {width} x {height}')
    return np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]], np.float64)


def _overlap(box, other):
    """Intersection of two boxes over the smaller one's area."""
    w = min(box[2], other[2]) - max(box[0], other[0])
    h = min(box[3], other[3]) - max(box[1], other[1])
    if w <= 0 or h <= 0:
        return 0.0
    areas = [(b[2] - b[0]) * (b[3] - b[1]) for b in (box, other)]
    return w * h / min(areas)


def sample_faces(rng, scan, width, height, options, tries=40):
    """Up to ``options.faces`` global poses (N,6), in the camera of a ``width`` x ``height``
    image (:func:`render_intrinsics`), of faces fully inside it whose projected extents
    overlap by at most ``options.max_overlap``; returned with those extents (N,4)."""
    intrinsics = render_intrinsics(width, height, options)
    (fx, _, cx), (_, fy, cy) = intrinsics[:2]
    head = np.ptp(scan.vertices[:, 1])
    low, high = options.face_size
    high = max(low, min(high, 0.9 * min(width, height)))
    count = int(rng.integers(options.faces[0], options.faces[1] + 1))
    poses, boxes = [], []
    for _ in range(count * tries):
        if len(poses) == count:
            break
        size = np.exp(rng.uniform(np.log(low), np.log(high)))
        euler = rng.uniform(-1, 1, 3) * [options.pitch, options.yaw, options.roll]
        tz = fy * head / size
        u, v = rng.uniform(0, width), rng.uniform(0, height)
        pose = np.r_[euler_to_rotvec(euler[None])[0], (u - cx) * tz / fx, (v - cy) * tz / fy,
                     tz]
        pix = project_points(scan.vertices[scan.hull], pose[None], intrinsics)[0]
        box = np.r_[np.floor(pix.min(0)) - 1, np.ceil(pix.max(0)) + 1]
        if box[0] < 0 or box[1] < 0 or box[2] > width - 1 or box[3] > height - 1:
            continue
        if any(_overlap(box, b) > options.max_overlap for b in boxes):
            continue
        poses.append(pose)
        boxes.append(box)
    return np.array(poses).reshape(-1, 6), np.array(boxes).reshape(-1, 4)


def render_image(scan, rng, options):
    """One synthetic image and its labels.

    Every face is the scan with a global pose seen by the image's camera
    (:func:`render_intrinsics`: by default f = w + h, centre (w // 2, h // 2)), drawn far
    first, so nearer faces occlude farther ones. Returns the image ((H,W,3) or grayscale
    (H,W) uint8), the faces' silhouette boxes (N,4 int, the occluded part included), their
    exact poses (N,6), their landmark labels (the scan's 68 or 5 landmarks projected by the
    same camera, or 5 x -1 for an unlabelled face) and a JPEG quality.
    """
    if options.camera is None:
        long_side = options.image_size
        short_side = int(round(long_side * rng.uniform(*options.aspect)))
        width, height = ((long_side, short_side) if rng.random() < 0.5 else
                         (short_side, long_side))
    else:
        width, height = (int(v) for v in options.camera[:2])
    if rng.random() < options.photo_fraction:
        image = photo_background(rng, height, width, options.photo_family)
    else:
        kinds = options.procedural_kinds
        kind = kinds[rng.integers(len(kinds))] if len(kinds) > 1 else kinds[0]
        image = procedural_background(rng, height, width, kind)
    poses, _ = sample_faces(rng, scan, width, height, options)
    poses = poses[np.argsort(-poses[:, 5])]  # far first
    intrinsics = render_intrinsics(width, height, options)
    kept, boxes = [], []
    for i, pose in enumerate(poses):
        light = rng.uniform(*options.light_box)
        tint = rng.uniform(*options.light_gain) * rng.uniform(
            1 - options.light_colour, 1 + options.light_colour, 3)
        box, _ = render_face(image, scan, pose, intrinsics, light=light,
                             ambient=rng.uniform(*options.ambient), tint=tint)
        if box is not None:
            kept.append(i)
            boxes.append(box)
    poses, boxes = poses[kept], np.array(boxes, int).reshape(-1, 4)
    image = photometric(rng, image)
    if options.hue_fraction > 0 and rng.random() < options.hue_fraction:
        image = turn_hue(image, rng.uniform(-1, 1) * options.hue_shift, rng.uniform(0.6, 1.4))
    if rng.random() < options.grayscale_fraction:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    points68 = project_points(scan.landmarks68, poses, intrinsics).reshape(-1, 68, 2)
    points5 = project_points(scan.landmarks5, poses, intrinsics).reshape(-1, 5, 2)
    kinds = rng.random(len(poses))
    labels = [np.full((5, 2), -1) if kind < options.unlabelled_fraction else
              p5 if kind < options.unlabelled_fraction + options.five_point_fraction else p68
              for kind, p5, p68 in zip(kinds, points5, points68)]
    return image, boxes, poses, labels, int(rng.integers(*options.jpeg_quality, endpoint=True))


def photometric(rng, image):
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


def turn_hue(image, turns, saturation=1.0):
    """A BGR uint8 image with its hue turned by ``turns`` (fractions of the colour wheel)
    and its saturation scaled by ``saturation``."""
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV_FULL)
    hsv[..., 0] = (hsv[..., 0].astype(np.int32) + int(round(turns * 256))) % 256
    hsv[..., 1] = np.clip(hsv[..., 1] * saturation, 0, 255).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL)
