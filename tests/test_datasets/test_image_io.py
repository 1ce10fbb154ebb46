"""mmpose6d.datasets.image_io: image bytes to BGR arrays, or the named reason they fail."""
import cv2
import numpy as np
import pytest

from mmpose6d.datasets.image_io import (bytes_problem, decode_image, image_format, is_truncated,
                                        portable_bytes, read_image_bytes)


def _image(seed=0, shape=(20, 30, 3)):
    return np.random.default_rng(seed).integers(0, 256, shape, np.uint8)


def _encoded(ext, img=None):
    ok, data = cv2.imencode(ext, _image() if img is None else img)
    assert ok
    return data.tobytes()


def test_format_from_magic_bytes():
    assert image_format(_encoded('.jpg')) == 'jpeg'
    assert image_format(_encoded('.png')) == 'png'
    assert image_format(_encoded('.bmp')) is None
    assert image_format(b'') is None


@pytest.mark.parametrize('ext, end', [('.jpg', 2), ('.png', 12)])
def test_truncation_is_seen_in_the_bytes(ext, end):
    """Cut before the end marker (JPEG's 2-byte EOI, PNG's 12-byte IEND chunk)."""
    data = _encoded(ext)
    assert not is_truncated(data)
    assert is_truncated(data[:len(data) // 2]) and is_truncated(data[:-end])
    assert not is_truncated(_encoded('.bmp')[:40])  # other formats: not judged


def test_jpeg_padding_after_the_end_marker_is_tolerated_up_to_1kib():
    data = _encoded('.jpg')
    assert not is_truncated(data + b'\0' * 1000)
    assert is_truncated(data + b'\0' * 1100)


def test_bytes_problem_names_the_reason():
    data = _encoded('.jpg')
    assert bytes_problem(data) == ''
    assert bytes_problem(None) == 'image/missing'
    assert bytes_problem(b'') == 'image/empty_file'
    assert bytes_problem(data[:100]) == 'image/truncated'


def test_read_image_bytes(tmp_path):
    data = _encoded('.png')
    (tmp_path / 'a.png').write_bytes(data)
    assert read_image_bytes(str(tmp_path / 'a.png')) == (data, '')
    assert read_image_bytes(str(tmp_path / 'missing.png')) == (None, 'image/missing')
    (tmp_path / 'folder.png').mkdir()
    assert read_image_bytes(str(tmp_path / 'folder.png')) == (None, 'image/unreadable')


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_png_round_trip_is_exact(backend):
    img = _image()
    decoded, reason = decode_image(_encoded('.png', img), backend=backend)
    assert reason == '' and decoded.dtype == np.uint8
    np.testing.assert_array_equal(decoded, img)  # BGR in, BGR out


def test_gray_images_decode_to_three_channels_unless_asked_for_gray():
    gray = _image(shape=(12, 16))
    decoded, _ = decode_image(_encoded('.png', gray))
    assert decoded.shape == (12, 16, 3)
    for channel in range(3):
        np.testing.assert_array_equal(decoded[..., channel], gray)
    decoded, _ = decode_image(_encoded('.png', gray), color_type='grayscale')
    assert decoded.shape == (12, 16)


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
@pytest.mark.parametrize('data, reason', [
    (None, 'image/missing'),
    (b'', 'image/empty_file'),
    (b'\xff\xd8' + b'not a jpeg at all' * 20 + b'\xff\xd9', 'image/corrupt'),
    (b'plain text, no image format', 'image/corrupt'),
])
def test_bad_bytes_give_a_reason_not_an_exception(data, reason, backend):
    assert decode_image(data, backend=backend) == (None, reason)


def test_truncated_file_is_not_decoded_to_grey_rows():
    data = _encoded('.jpg', _image(shape=(64, 64, 3)))
    assert decode_image(data[:len(data) // 2]) == (None, 'image/truncated')


def test_portable_bytes_keep_jpeg_and_png_and_re_encode_others_losslessly():
    img = _image()
    for ext in ('.jpg', '.png'):
        data = _encoded(ext, img)
        assert portable_bytes(data, img) is data
    bmp = _encoded('.bmp', img)
    portable = portable_bytes(bmp, img)
    assert image_format(portable) == 'png'
    np.testing.assert_array_equal(decode_image(portable)[0], img)
