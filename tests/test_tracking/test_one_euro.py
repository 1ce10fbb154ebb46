"""The One Euro filters: a still signal passes unchanged, white noise shrinks by the factor of
a first-order low-pass, a ramp lags by the filter's time constant (less with ``beta``),
timestamps set the weights, rotations are filtered in their tangent space without
depending on the axes, translations without depending on their unit."""
import numpy as np
import pytest

from mmpose6d.geometry import compose_rotvec, euler_to_rotvec, rotation_angle_deg
from mmpose6d.tracking import (OneEuroFilter, PoseOneEuroFilter, RotationOneEuroFilter,
                               TranslationOneEuroFilter, smoothing_factor)

FPS = 30.0
#: the time constant (s) of a 1 Hz cutoff
TAU_1HZ = 1 / (2 * np.pi)


def run(filt, samples, fps=FPS):
    """The filtered samples (T,...) of ``samples`` (T,...) taken ``1 / fps`` apart."""
    return np.stack([filt(sample, i / fps) for i, sample in enumerate(samples)])


@pytest.mark.parametrize('filt', [OneEuroFilter(0.5, 2.0), RotationOneEuroFilter(0.5, 2.0),
                                  TranslationOneEuroFilter(0.5, 2.0)],
                         ids=['plain', 'rotation', 'translation'])
def test_a_still_signal_passes_unchanged(filt):
    signal = np.tile([[0.3, -1.2, 0.5], [0.0, 0.2, 2.0]], (50, 1, 1))
    np.testing.assert_allclose(run(filt, signal), signal, rtol=0, atol=1e-14)


def test_white_noise_variance_shrinks_as_a_first_order_low_pass():
    """beta = 0: a low-pass of weight a = 1 / (1 + tau / dt) keeps a / (2 - a) of white noise's
    variance: 1 / 10.55 at 1 Hz and 30 fps (measured within 3 %); beta = 0.5 lets the noise's
    own speed open the filter (about 1 / 2.4)."""
    noise = np.random.default_rng(0).normal(0, 1, (20000, 3))
    weight = smoothing_factor(1.0, 1 / FPS)
    expected = (2 - weight) / weight
    assert expected == pytest.approx(10.549, abs=1e-3)
    reduction = noise.var() / run(OneEuroFilter(1.0, 0.0), noise)[100:].var()
    assert reduction == pytest.approx(expected, rel=0.03)
    reduction = noise.var() / run(OneEuroFilter(1.0, 0.5), noise)[100:].var()
    assert 2.0 < reduction < 3.0


def test_a_ramp_lags_by_the_time_constant():
    """A ramp of 2 units/s: with beta = 0 the output trails by the time constant 1 / (2 pi
    min_cutoff) = 0.159 s (4.77 frames at 30 fps); with beta = 1 the speed raises the cutoff
    to c = min_cutoff + beta * 2 / a(c) (the speed estimate is the step over dt: 2 / a), a
    lag of 0.032 s, under a frame."""
    times = np.arange(300) / FPS
    ramp = 2.0 * times[:, None]
    lag = (ramp - run(OneEuroFilter(1.0, 0.0), ramp))[-1, 0] / 2.0
    assert lag == pytest.approx(TAU_1HZ, rel=1e-9)
    lag = (ramp - run(OneEuroFilter(1.0, 1.0), ramp))[-1, 0] / 2.0
    cutoff = 1 / (2 * np.pi * lag)
    assert cutoff == pytest.approx(1.0 + 2.0 / smoothing_factor(cutoff, 1 / FPS), rel=1e-9)
    assert lag * FPS == pytest.approx(0.9675, abs=1e-4)


def test_timestamps_set_the_weights():
    """A step 0 -> 1 after dt moves the output by a = 1 / (1 + tau / dt): farther after a
    longer gap; the same signal sampled at 60 instead of 30 fps keeps the same lag in
    seconds; a timestamp that does not grow is refused."""
    for dt in (1 / 30, 1 / 3):
        filt = OneEuroFilter(1.0, 0.0)
        filt(np.zeros(2), 5.0)
        assert filt(np.ones(2), 5.0 + dt) == pytest.approx(np.full(2, 1 / (1 + TAU_1HZ / dt)))
    for fps in (30.0, 60.0):
        times = np.arange(int(10 * fps)) / fps
        ramp = times[:, None]
        lag = (ramp - run(OneEuroFilter(1.0, 0.0), ramp, fps))[-1, 0]
        assert lag == pytest.approx(TAU_1HZ, rel=1e-6)
    filt = OneEuroFilter()
    filt(np.zeros(2), 1.0)
    with pytest.raises(ValueError, match='timestamp 1.0 is not after the previous sample'):
        filt(np.zeros(2), 1.0)


def test_rows_are_started_updated_and_dropped_separately():
    filt = OneEuroFilter(1.0, 0.0)
    filt.start(np.zeros((2, 1)), 0.0)
    filt.start(np.ones((1, 1)), 0.5)
    out = filt.update([0, 2], np.full((2, 1), 2.0), 1.0)
    weights = smoothing_factor(1.0, np.array([1.0, 0.5]))
    np.testing.assert_allclose(out[:, 0], [2 * weights[0], 1 + weights[1]])
    filt.keep(np.array([False, True, True]))
    assert len(filt) == 2 and filt.values[:, 0].tolist() == [0.0, out[1, 0]]


@pytest.mark.parametrize('args, message', [(dict(min_cutoff=0), 'min_cutoff must be'),
                                           (dict(d_cutoff=-1), 'd_cutoff must be'),
                                           (dict(beta=-0.1), 'beta must be 0 or more')])
def test_bad_settings_are_named(args, message):
    with pytest.raises(ValueError, match=message):
        OneEuroFilter(**args)


def test_noisy_still_rotation():
    """A rotation with 3 degrees of isotropic noise per axis (mean error 4.75 degrees): the
    filter (1 Hz, beta 0) brings the mean error to 1.5 degrees (3.2x less) and the
    frame-to-frame jitter down 7.7x; beta = 1 (the tracker's default) still 2.5x / 5x."""
    rng = np.random.default_rng(0)
    truth = np.repeat(euler_to_rotvec(np.array([[10.0, 60.0, -20.0]])), 600, 0)
    samples = compose_rotvec(truth, rng.normal(0, np.deg2rad(3), (600, 3)))
    before = rotation_angle_deg(truth, samples)[60:].mean()
    jitter_before = np.sqrt(np.mean(rotation_angle_deg(samples[:-1], samples[1:])[60:]**2))
    for beta, error_factor, jitter_factor in ((0.0, 3.0, 7.0), (1.0, 2.4, 4.8)):
        out = run(RotationOneEuroFilter(1.0, beta), samples)
        after = rotation_angle_deg(truth, out)[60:].mean()
        jitter_after = np.sqrt(np.mean(rotation_angle_deg(out[:-1], out[1:])[60:]**2))
        assert before / after > error_factor
        assert jitter_before / jitter_after > jitter_factor


@pytest.mark.parametrize('axis', [[0, 1, 0], [1, 0, 0], [1, 1, 1], [0.2, -0.5, 0.9]])
def test_a_steady_rotation_lags_by_angular_speed_times_time_constant(axis):
    """Turning at 60 degrees/s about any axis, from a pose at yaw 60, through yaw 90 and
    beyond: the filtered rotation trails by 60 * 0.159 = 9.55 degrees (beta 0) or 2.74
    degrees (beta 1), whatever the axis: no Euler angle singularity, no axis preference."""
    axis = np.asarray(axis, np.float64) / np.linalg.norm(axis)
    times = np.arange(300) / FPS
    start = np.repeat(euler_to_rotvec(np.array([[10.0, 60.0, -20.0]])), len(times), 0)
    truth = compose_rotvec(start, np.deg2rad(60) * times[:, None] * axis)
    for beta, lag in ((0.0, 60 * TAU_1HZ), (1.0, 2.7418)):
        out = run(RotationOneEuroFilter(1.0, beta), truth)
        np.testing.assert_allclose(rotation_angle_deg(truth, out)[-150:], lag, atol=1e-3)


def test_translation_speed_does_not_depend_on_the_unit():
    """The translation filter's speed is relative to the distance: the same motion in
    millimetres or metres is filtered the same way (beta > 0, where a plain filter's cutoff
    would depend on the unit)."""
    rng = np.random.default_rng(2)
    times = np.arange(100) / FPS
    path = np.stack([0.1 * np.sin(times), 0.05 * times, 1.5 + 0.2 * np.cos(2 * times)], 1)
    path = path + rng.normal(0, 0.01, path.shape)
    metres = run(TranslationOneEuroFilter(1.0, 2.0), path)
    millimetres = run(TranslationOneEuroFilter(1.0, 2.0), path * 1000)
    np.testing.assert_allclose(millimetres, metres * 1000, rtol=1e-12)
    plain = run(OneEuroFilter(1.0, 2.0), path * 1000) / 1000
    assert np.abs(plain - metres).max() > 0.005


def test_pose_filter_is_its_rotation_and_translation_filters():
    rng = np.random.default_rng(3)
    poses = np.c_[rng.normal(0, 0.3, (40, 2, 3)), rng.normal(0, 0.1, (40, 2, 2)),
                  rng.uniform(5, 6, (40, 2, 1))]
    settings = dict(rotation=dict(min_cutoff=0.7, beta=0.4),
                    translation=dict(min_cutoff=1.5, beta=0.2))
    out = run(PoseOneEuroFilter(**settings), poses)
    np.testing.assert_allclose(out[..., :3], run(RotationOneEuroFilter(0.7, 0.4),
                                                 poses[..., :3]), atol=1e-14)
    np.testing.assert_allclose(out[..., 3:], run(TranslationOneEuroFilter(1.5, 0.2),
                                                 poses[..., 3:]), atol=1e-14)
