"""Face-free backgrounds: photographs that scikit-image ships, and procedural textures.

The photographs are the ones in scikit-image's ``data`` module that come with the wheel
(no download) and show no human face. Two disjoint families let a held-out split be drawn
on photographs the training split never saw.
"""
from functools import lru_cache

import cv2
import numpy as np

#: scikit-image ``data`` photographs per family (astronaut, camera, lfw_subset show faces)
PHOTOS = {
    'train': ('coffee', 'chelsea', 'rocket', 'brick', 'grass', 'gravel', 'moon', 'coins',
              'page', 'text', 'clock', 'cell', 'immunohistochemistry'),
    'other': ('stereo_motorcycle', 'hubble_deep_field', 'retina'),
}


@lru_cache(maxsize=None)
def load_photo(name):
    """scikit-image's photograph ``name`` as a BGR uint8 image (grey ones as 3 channels)."""
    from skimage import data
    image = getattr(data, name)()
    image = image[0] if isinstance(image, tuple) else image  # the stereo pair's left view
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = (image > 0).astype(np.uint8) * 255 if image.dtype == bool else \
            cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(image[..., :3], cv2.COLOR_RGB2BGR)


def photo_background(rng, height, width, family='train'):
    """A random crop (10-100 % of the shorter side) of a photograph of ``family``, resized
    to ``height`` x ``width``, maybe mirrored, with a random colour gain."""
    photo = load_photo(PHOTOS[family][rng.integers(len(PHOTOS[family]))])
    ph, pw = photo.shape[:2]
    side = rng.uniform(0.1, 1.0) * min(ph, pw)
    aspect = width / height
    ch, cw = (side, side * aspect) if aspect <= pw / ph else (side / aspect, side)
    ch, cw = int(min(ch, ph)), int(min(cw, pw))
    y, x = rng.integers(0, ph - ch + 1), rng.integers(0, pw - cw + 1)
    crop = cv2.resize(photo[y:y + ch, x:x + cw], (width, height),
                      interpolation=cv2.INTER_AREA if cw > width else cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    gain = rng.uniform(0.8, 1.2, 3).astype(np.float32)
    return np.clip(crop * gain, 0, 255).astype(np.uint8)


def procedural_background(rng, height, width):
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
