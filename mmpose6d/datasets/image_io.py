"""Image bytes -> 3-channel BGR arrays, with a named reason instead of an exception.

Shared by the loader transform and the LMDB converter, so both accept and reject the same
files. Grayscale (and palette, 16-bit...) images decode to 3-channel BGR like colour ones.
"""
import cv2
import mmcv
import numpy as np
from mmengine import fileio

JPEG_MAGIC = b'\xff\xd8'
JPEG_END = b'\xff\xd9'
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def image_format(data):
    """'jpeg', 'png' or None (another format) from the magic bytes."""
    if data[:2] == JPEG_MAGIC:
        return 'jpeg'
    if data[:8] == PNG_MAGIC:
        return 'png'
    return None


def is_truncated(data):
    """Whether JPEG/PNG bytes lack their end marker (a cut-off download or copy).

    Decoders fill the missing rows with grey instead of failing, so this is checked on the
    bytes. Up to 1 KiB of trailing padding after a JPEG's end marker is tolerated.
    """
    fmt = image_format(data)
    if fmt == 'jpeg':
        return JPEG_END not in data[-1024:]
    if fmt == 'png':
        return b'IEND' not in data[-32:]
    return False


def read_image_bytes(path, backend_args=None):
    """(bytes, '') of an image file, or (None, reason) with reason ``image/missing`` or
    ``image/unreadable``."""
    try:
        return fileio.get(path, backend_args=backend_args), ''
    except FileNotFoundError:
        return None, 'image/missing'
    except OSError:
        return None, 'image/unreadable'


def bytes_problem(data):
    """Why image bytes cannot decode whole, seen without decoding them: ``image/missing`` (no
    bytes), ``image/empty_file`` or ``image/truncated``; '' when none of these."""
    if data is None:
        return 'image/missing'
    if len(data) == 0:
        return 'image/empty_file'
    if is_truncated(data):
        return 'image/truncated'
    return ''


def decode_image(data, color_type='color', backend='cv2'):
    """(image, '') decoded from ``data`` as 3-channel BGR (for colour flags), or (None, reason)
    with reason :func:`bytes_problem`'s or ``image/corrupt``."""
    reason = bytes_problem(data)
    if reason:
        return None, reason
    try:
        img = mmcv.imfrombytes(data, flag=color_type, backend=backend)
    except Exception:  # pillow/turbojpeg raise on garbage where cv2 returns None
        img = None
    if img is None or img.size == 0:
        return None, 'image/corrupt'
    if img.ndim == 2 and color_type.startswith('color'):
        img = mmcv.gray2bgr(img)
    return img, ''


def portable_bytes(data, img):
    """JPEG/PNG bytes kept as they are; any other format re-encoded losslessly as PNG, so the
    LMDB only holds formats whose truncation :func:`is_truncated` can check."""
    if image_format(data) is not None:
        return data
    ok, encoded = cv2.imencode('.png', img)
    if not ok:
        raise ValueError('PNG encoding failed')
    return np.asarray(encoded).tobytes()
