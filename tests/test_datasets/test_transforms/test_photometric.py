"""PhotometricNoise: contrast, brightness, noise and grayscale, geometry untouched."""
import numpy as np
import pytest

from mmpose6d.datasets.transforms import PhotometricNoise

#: no noise and no gray: only contrast and brightness, whose draws a test can repeat
NO_NOISE = dict(noise_std=0.0, gray_prob=0.0)


def _image(dtype=np.uint8, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (24, 32, 3)).astype(dtype)


def test_prob_zero_changes_nothing():
    img = _image()
    np.random.seed(0)
    results = dict(img=img.copy(), gt_bboxes=np.array([[1.0, 2.0, 3.0, 4.0]]))
    out = PhotometricNoise(prob=0.0)(results)
    np.testing.assert_array_equal(out['img'], img)
    np.testing.assert_array_equal(out['gt_bboxes'], [[1.0, 2.0, 3.0, 4.0]])


@pytest.mark.parametrize('dtype', [np.uint8, np.float32])
def test_contrast_and_brightness_are_the_documented_formula(dtype):
    """``img * alpha + mean * (1 - alpha) + beta``, alpha in ``1 +- contrast``, beta in
    ``+- brightness * 255``, clipped to [0, 255]; integer images rounded, the dtype kept."""
    img = _image(dtype)
    np.random.seed(3)
    out = PhotometricNoise(prob=1.0, contrast=0.3, brightness=0.15, **NO_NOISE)(
        dict(img=img.copy()))['img']
    np.random.seed(3)
    assert np.random.rand() < 1.0  # the prob draw
    alpha = np.random.uniform(0.7, 1.3)
    beta = np.random.uniform(-0.15, 0.15) * 255
    expected = np.clip(img.astype(np.float64) * alpha + img.mean() * (1 - alpha) + beta, 0, 255)
    assert out.dtype == dtype and out.shape == img.shape
    if dtype == np.uint8:
        assert np.abs(out.astype(np.float64) - expected).max() <= 0.5 + 1e-3
    else:
        np.testing.assert_allclose(out, expected, rtol=0, atol=1e-3)


def test_constant_image_is_shifted_by_the_brightness_only():
    """Contrast scales around the mean, so a constant image moves by beta alone."""
    img = np.full((8, 8, 3), 100, np.uint8)
    np.random.seed(5)
    out = PhotometricNoise(prob=1.0, contrast=0.5, brightness=0.1, **NO_NOISE)(
        dict(img=img))['img']
    np.random.seed(5)
    np.random.rand(2)  # the prob and the contrast draws
    beta = np.random.uniform(-0.1, 0.1) * 255
    assert (out == np.rint(100 + beta)).all()


def test_values_stay_in_range():
    img = np.zeros((6, 6, 3), np.uint8)
    img[:3] = 255
    np.random.seed(0)
    out = PhotometricNoise(prob=1.0, contrast=0.0, brightness=0.0, noise_std=200.0,
                           noise_prob=1.0, gray_prob=0.0)(dict(img=img))['img']
    assert out.dtype == np.uint8 and out.min() == 0 and out.max() == 255


def test_gray_and_noise(synth):
    img = synth.results()['img']
    np.random.seed(0)
    out = PhotometricNoise(prob=1.0, gray_prob=1.0, noise_std=10, noise_prob=1.0)(
        dict(img=img.copy()))['img']
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()
    np.random.seed(1)
    noisy = PhotometricNoise(prob=1.0, contrast=0.0, brightness=0.0, noise_std=10,
                             noise_prob=1.0, gray_prob=0.0)(dict(img=img.copy()))['img']
    diff = noisy.astype(float) - img
    assert 0 < diff.std() < 11 and abs(diff.mean()) < 1


def test_noise_is_reproducible_from_numpy_seed():
    """OpenCV's generator is seeded from np.random: the same seed, the same image."""
    transform = PhotometricNoise(prob=1.0, noise_std=10, noise_prob=1.0, gray_prob=0.0)
    outs = []
    for _ in range(2):
        np.random.seed(11)
        outs.append(transform(dict(img=_image()))['img'])
    np.testing.assert_array_equal(*outs)


def test_single_channel_image_is_not_turned_gray():
    img = _image()[..., 0]
    np.random.seed(0)
    out = PhotometricNoise(prob=1.0, gray_prob=1.0)(dict(img=img.copy()))['img']
    assert out.shape == img.shape and out.dtype == np.uint8


def test_repr_names_every_setting():
    assert repr(PhotometricNoise(prob=0.4, gray_prob=0.2)) == (
        'PhotometricNoise(prob=0.4, contrast=0.3, brightness=0.15, noise_std=8.0, '
        'noise_prob=0.5, gray_prob=0.2)')
