"""Arrays a config names by value or by file: 3D references and pose statistics.

A relative path is tried from the working directory first (a user's own file, e.g.
``data/rendered/scan_ref68.npy``), then from the folder that holds the ``mmpose6d`` package
(a checkout's root), then from the package's ``.mim`` folder, where an installed wheel keeps
the checkout's top-level folders (setup.py), so the defaults ``pose_references/ref68.npy``
and ``ref5.npy`` resolve from any working directory, in a clone and in a wheel.
"""
import functools
from pathlib import Path

import numpy as np

#: The folder holding the ``mmpose6d`` package (the checkout, or site-packages).
PACKAGE_PARENT = Path(__file__).resolve().parents[2]
#: The installed package's copy of the checkout's configs, tools, demo and pose_references.
MIM_DIR = PACKAGE_PARENT / 'mmpose6d' / '.mim'

DEFAULT_REFERENCE68 = 'pose_references/ref68.npy'
DEFAULT_REFERENCE5 = 'pose_references/ref5.npy'


def resolve_path(path):
    """The existing file ``path`` names (as given, or below :data:`PACKAGE_PARENT` or
    :data:`MIM_DIR`)."""
    candidates = [Path(path)]
    if not Path(path).is_absolute():
        candidates += [PACKAGE_PARENT / path, MIM_DIR / path]
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        raise FileNotFoundError(f'{path} not found (looked in '
                                f'{", ".join(str(p) for p in candidates)})')
    return found


def load_array(value, expected_shape, name):
    """Float64 array of ``expected_shape`` (-1: any size) from numbers or from a ``.npy`` /
    ``.txt`` file (:func:`resolve_path`); singleton axes may differ, nothing else."""
    if value is None:
        raise ValueError(f'{name} is not set: give the numbers or a .npy file in the config '
                         '(tools/dataset_converters/compute_pose_stats.py writes them)')
    where = value
    if isinstance(value, (str, Path)):
        try:
            where = resolve_path(value)
        except FileNotFoundError as err:
            raise FileNotFoundError(f'{name}: {err}') from None
        value = np.load(where) if where.suffix == '.npy' else np.loadtxt(where)
    array = np.asarray(value, dtype=np.float64)
    squeezed = tuple(d for d in array.shape if d != 1)
    wanted = tuple(d for d in expected_shape if d != 1)
    if len(squeezed) != len(wanted) or any(w not in (-1, d) for d, w in zip(squeezed, wanted)):
        raise ValueError(f'{name} {where}: expected shape {tuple(expected_shape)}, got '
                         f'{array.shape}')
    array = array.reshape(expected_shape)
    if not np.isfinite(array).all():
        raise ValueError(f'{name}: {where} contains non-finite values')
    return array


@functools.lru_cache(maxsize=None)
def load_reference(path, num_points=None):
    """3D reference points (P,3) of a ``.npy`` file, loaded once per process, checked to
    have ``num_points`` rows when given."""
    return load_array(path, (num_points or -1, 3), 'pose reference')
