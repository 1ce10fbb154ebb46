"""Face-free backgrounds: photographs that scikit-image ships, and procedural textures.

The photographs are the ones in scikit-image's ``data`` module that come with the wheel
(no download) and show no human face. Two disjoint families let a held-out split be drawn
on photographs the training split never saw. The procedural backgrounds come in kinds
(:data:`PROCEDURAL_KINDS`): ``'texture'`` (gradients, smooth noise, stripes and shapes),
``'colour_field'`` (smooth fields of saturated hues) and ``'colour_wheel'`` (hue wheels: the
hue turns around one or a few centres at full saturation). The shifted split draws colour
wheels, a kind the training split never sees.
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


#: the kinds of :func:`procedural_background`
PROCEDURAL_KINDS = ('texture', 'colour_field', 'colour_wheel')


def _hsv_to_bgr(hue, saturation, value):
    """(H,W,3) float32 BGR in 0..255 of hue (turns, any real), saturation and value (0..1)."""
    hsv = np.stack(np.broadcast_arrays(np.mod(hue, 1.0) * 360, np.clip(saturation, 0, 1),
                                       np.clip(value, 0, 1)), -1).astype(np.float32)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR) * 255


def colour_field_background(rng, height, width):
    """Smooth fields of saturated hues (H,W,3) uint8: a coarse random grid of hues (with
    saturation 0.6-1 and value 0.35-1) upsampled smoothly, the hue wrapping around."""
    cells = rng.integers(2, 10)
    angle = rng.uniform(0, 2 * np.pi, (cells, cells))  # hue as a unit vector: smooth wrap
    vectors = np.stack([np.cos(angle), np.sin(angle)], -1).astype(np.float32)
    vectors = cv2.resize(vectors, (width, height), interpolation=cv2.INTER_CUBIC)
    hue = np.arctan2(vectors[..., 1], vectors[..., 0]) / (2 * np.pi)
    value = cv2.resize(rng.uniform(0.35, 1, (cells, cells)).astype(np.float32),
                       (width, height), interpolation=cv2.INTER_LINEAR)
    return _hsv_to_bgr(hue, rng.uniform(0.6, 1.0), value).astype(np.uint8)


def colour_wheel_background(rng, height, width):
    """Hue wheels (H,W,3) uint8: around 1-3 random centres the hue turns once (or several
    times) per revolution, maybe with a spiral twist, at full saturation; the value falls off
    or rises with the distance to the nearest centre, maybe in rings."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    scale = float(max(height, width))
    hue = np.zeros((height, width), np.float32)
    nearest = np.full((height, width), np.inf, np.float32)
    for _ in range(rng.integers(1, 4)):
        cx, cy = rng.uniform(-0.2, 1.2) * width, rng.uniform(-0.2, 1.2) * height
        radius = np.hypot(xs - cx, ys - cy) / scale
        turn = np.arctan2(ys - cy, xs - cx) / (2 * np.pi)
        wheel = turn * rng.integers(1, 4) + radius * rng.uniform(-1.5, 1.5) + rng.uniform()
        closer = radius < nearest
        hue[closer], nearest[closer] = wheel[closer], radius[closer]
    if rng.random() < 0.5:
        value = 1 - rng.uniform(0, 0.6) * np.clip(nearest, 0, 1)
    else:
        value = 0.4 + rng.uniform(0, 0.6) * np.clip(nearest * 1.5, 0, 1)
    if rng.random() < 0.4:  # rings
        value = value * (0.75 + 0.25 * np.sin(nearest * scale * 2 * np.pi /
                                              rng.uniform(20, 80)))
    saturation = rng.uniform(0.8, 1.0) * np.minimum(1, 0.3 + nearest * rng.uniform(3, 20))
    return _hsv_to_bgr(hue, saturation, value).astype(np.uint8)


def procedural_background(rng, height, width, kind='texture'):
    """A face-free background (H,W,3) uint8 of ``kind`` (:data:`PROCEDURAL_KINDS`):
    ``'texture'``, a gradient or smooth noise, optionally with stripes and random shapes on
    top; :func:`colour_field_background`; or :func:`colour_wheel_background`."""
    if kind == 'colour_field':
        return colour_field_background(rng, height, width)
    if kind == 'colour_wheel':
        return colour_wheel_background(rng, height, width)
    if kind != 'texture':
        raise ValueError(f'unknown procedural background kind {kind!r}: {PROCEDURAL_KINDS}')
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
