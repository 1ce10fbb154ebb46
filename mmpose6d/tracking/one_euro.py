"""The One Euro filter (Casiez, Roussel and Vogel, CHI 2012: "1 Euro Filter: A Simple
Speed-based Low-pass Filter for Noisy Input in Interactive Systems") for many signals at once,
and its forms for the rotations and translations of face poses."""
import numpy as np

from ..geometry import compose_rotvec, relative_rotvec


def smoothing_factor(cutoff, dt):
    """The weight ``1 / (1 + tau / dt)``, ``tau = 1 / (2 pi cutoff)``, of a new sample in a
    first-order low-pass filter of cutoff frequency ``cutoff`` (Hz) sampled ``dt`` seconds
    after the last one (arrays broadcast)."""
    tau = 1.0 / (2 * np.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One Euro filters of K signals (rows) of D components, each row with its own time.

    A first-order low-pass filter whose cutoff rises with the signal's speed: steady
    signals are smoothed strongly, moving ones follow with little lag. For a new sample
    ``x`` at time ``t`` of a row with filtered value ``v`` and speed estimate ``d`` last
    updated at ``t0``::

        dt = t - t0,  step = x - v
        d <- d + smoothing_factor(d_cutoff, dt) * (step / dt - d)
        v <- v + smoothing_factor(min_cutoff + beta * speed(d), dt) * step

    ``speed(d)`` is ``|d|`` per component (the paper's filter). A row's first sample passes
    unchanged, with speed 0. The time between samples may vary (dropped frames, a camera's
    own timing): each row's own ``dt`` enters the weights.

    Args:
        min_cutoff: the cutoff (Hz) of a still signal: lower smooths more and lags more.
        beta: how much the cutoff rises with speed (Hz per unit of signal per second).
        d_cutoff: the cutoff (Hz) of the speed estimate.

    Rows are added by :meth:`start`, filtered by :meth:`update` (any of them, one
    timestamp) and removed by :meth:`keep`; calling the filter on (K,D) or (D,) samples
    starts, then updates, all rows.
    """

    def __init__(self, min_cutoff=1.0, beta=0.0, d_cutoff=1.0):
        for name, value, low in (('min_cutoff', min_cutoff, 0), ('d_cutoff', d_cutoff, 0)):
            if not value > low:
                raise ValueError(f'{name} must be a frequency above 0 Hz, got {value}')
        if not beta >= 0:
            raise ValueError(f'beta must be 0 or more, got {beta}')
        self.min_cutoff, self.beta, self.d_cutoff = float(min_cutoff), float(beta), \
            float(d_cutoff)
        self.reset()

    def reset(self):
        """Forget every row."""
        self.values = None
        self.derivatives = None
        self.times = np.zeros(0)

    def __len__(self):
        return len(self.times)

    def start(self, samples, timestamp):
        """Add rows (n,D) whose filtered values start at ``samples``, at ``timestamp``."""
        samples = np.asarray(samples, np.float64)
        if self.values is None:
            self.values, self.derivatives = samples[:0], samples[:0]
        self.values = np.concatenate([self.values, samples])
        self.derivatives = np.concatenate([self.derivatives, np.zeros_like(samples)])
        self.times = np.concatenate([self.times, np.full(len(samples), float(timestamp))])

    def update(self, rows, samples, timestamp):
        """Filter the new ``samples`` (n,D) of ``rows`` (n,) taken at ``timestamp``; returns
        their filtered values (n,D)."""
        rows = np.asarray(rows, np.int64)
        samples = np.asarray(samples, np.float64)
        if not len(rows):
            return samples
        dt = (float(timestamp) - self.times[rows])[:, None]
        if (dt <= 0).any():
            raise ValueError(f'timestamp {timestamp} is not after the previous sample of '
                             f'each row (last at {self.times[rows].max()})')
        values = self.values[rows]
        step = self._step(values, samples)
        derivatives = self.derivatives[rows]
        derivatives = derivatives + smoothing_factor(self.d_cutoff, dt) * (step / dt -
                                                                           derivatives)
        cutoff = self.min_cutoff + self.beta * self._speed(derivatives, values)
        values = self._advance(values, smoothing_factor(cutoff, dt) * step)
        self.values[rows], self.derivatives[rows], self.times[rows] = values, derivatives, \
            float(timestamp)
        return values

    def keep(self, mask):
        """Keep the rows where ``mask`` (K,) is true, drop the others."""
        if self.values is not None:
            self.values, self.derivatives = self.values[mask], self.derivatives[mask]
        self.times = self.times[mask]

    def __call__(self, samples, timestamp):
        """Filtered ``samples`` (K,D) or (D,) of all rows at ``timestamp`` (the first call
        starts the rows and returns the samples)."""
        samples = np.asarray(samples, np.float64)
        rows = samples.reshape(-1, samples.shape[-1])
        if not len(self):
            self.start(rows, timestamp)
            return samples.copy()
        if len(rows) != len(self):
            raise ValueError(f'samples of {len(rows)} rows for a filter of {len(self)} rows')
        return self.update(np.arange(len(rows)), rows, timestamp).reshape(samples.shape)

    def _step(self, values, samples):
        """The move from the filtered ``values`` to new ``samples``."""
        return samples - values

    def _advance(self, values, steps):
        """``values`` moved by ``steps``."""
        return values + steps

    def _speed(self, derivatives, values):
        """The speed that raises the cutoff, per component."""
        return np.abs(derivatives)


class RotationOneEuroFilter(OneEuroFilter):
    """The One Euro filter of rotations (rotation vectors (K,3), radians), in the tangent space
    at the filtered rotation rather than per angle.

    A sample's step is the rotation vector of ``R_v^T R_x`` (:func:`relative_rotvec`: from the
    filtered rotation ``R_v`` to the sample ``R_x``, in ``R_v``'s frame), the filtered rotation
    moves by a fraction of it (``R_v R(a * step)``), and the speed is the norm of the angular
    velocity (rad/s), one cutoff for all three components: the result does not depend on
    the axes, has no Euler singularity and stays a rotation. ``beta`` is in Hz per rad/s.
    """

    def _step(self, values, samples):
        return relative_rotvec(values, samples)

    def _advance(self, values, steps):
        return compose_rotvec(values, steps)

    def _speed(self, derivatives, values):
        return np.linalg.norm(derivatives, axis=-1, keepdims=True)


class TranslationOneEuroFilter(OneEuroFilter):
    """The One Euro filter of face translations (K,3) ``[tx, ty, tz]``, with the speed of each
    component relative to the face's distance ``|tz|``: per second, in units of the distance
    (the sideways speed is then about the angular speed across the view, in rad/s). ``beta``
    (Hz per distance per second) holds for any unit of the 3D reference and any face size.
    """

    def _speed(self, derivatives, values):
        return np.abs(derivatives) / np.maximum(np.abs(values[:, 2:]), 1e-9)


class PoseOneEuroFilter:
    """One Euro filters of poses (K,6) ``[rx, ry, rz, tx, ty, tz]``: the rotation by
    :class:`RotationOneEuroFilter`, the translation by :class:`TranslationOneEuroFilter`.

    Args:
        rotation, translation: each filter's ``min_cutoff``, ``beta``, ``d_cutoff``.
    """

    def __init__(self, rotation=None, translation=None):
        self.rotation = RotationOneEuroFilter(**(rotation or {}))
        self.translation = TranslationOneEuroFilter(**(translation or {}))

    def reset(self):
        """Forget every row."""
        self.rotation.reset()
        self.translation.reset()

    def __len__(self):
        return len(self.rotation)

    def start(self, poses, timestamp):
        """Add rows (n,6) starting at ``poses``, at ``timestamp``."""
        poses = np.asarray(poses, np.float64)
        self.rotation.start(poses[:, :3], timestamp)
        self.translation.start(poses[:, 3:], timestamp)

    def update(self, rows, poses, timestamp):
        """Filtered poses (n,6) of ``rows`` (n,) from their new ``poses`` at ``timestamp``."""
        poses = np.asarray(poses, np.float64)
        return np.concatenate([self.rotation.update(rows, poses[:, :3], timestamp),
                               self.translation.update(rows, poses[:, 3:], timestamp)], 1)

    def keep(self, mask):
        """Keep the rows where ``mask`` (K,) is true."""
        self.rotation.keep(mask)
        self.translation.keep(mask)

    def __call__(self, poses, timestamp):
        """Filtered ``poses`` (K,6) or (6,) of all rows at ``timestamp``."""
        poses = np.asarray(poses, np.float64)
        rows = poses.reshape(-1, 6)
        return np.concatenate([self.rotation(rows[:, :3], timestamp),
                               self.translation(rows[:, 3:], timestamp)], 1).reshape(poses.shape)
