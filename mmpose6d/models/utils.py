"""Loading the pose statistics and 3D references a model is configured with."""
from pathlib import Path

import numpy as np


def load_array(value, expected_shape, name):
    """An array from a list/array or from a ``.npy`` / ``.txt`` file path, shape-checked.

    Paths are tried as given and relative to the repository root, so configs can name
    ``pose_references/ref68.npy`` from any working directory.
    """
    if value is None:
        raise ValueError(f'{name} is not set: give the numbers or a .npy file in the config '
                         '(tools/dataset_converters/compute_pose_stats.py writes them)')
    if isinstance(value, (str, Path)):
        path = Path(value)
        if not path.is_absolute() and not path.exists():
            path = Path(__file__).resolve().parents[2] / path
        if not path.exists():
            raise FileNotFoundError(f'{name}: file {value} not found')
        array = np.load(path) if path.suffix == '.npy' else np.loadtxt(path)
    else:
        array = np.asarray(value)
    array = np.asarray(array, dtype=np.float64).reshape(expected_shape)
    if not np.isfinite(array).all():
        raise ValueError(f'{name}: {value} contains non-finite values')
    return array
