"""3D reference points (``.npy``, (P,3)) for PnP labels and projected boxes, loaded once."""
import functools
from pathlib import Path

import numpy as np

#: The repository root: relative reference paths also resolve from here, so configs work
#: from any working directory.
REPO_ROOT = Path(__file__).resolve().parents[3]

DEFAULT_REFERENCE68 = 'pose_references/ref68.npy'
DEFAULT_REFERENCE5 = 'pose_references/ref5.npy'


@functools.lru_cache(maxsize=None)
def load_reference(path, num_points=None):
    """Float64 reference points (P,3) from ``path`` (relative to the working directory
    or the repository root), checked to have ``num_points`` rows when given."""
    candidates = [Path(path)]
    if not Path(path).is_absolute():
        candidates.append(REPO_ROOT / path)
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        raise FileNotFoundError(f'pose reference {path} not found (looked in '
                                f'{", ".join(str(p) for p in candidates)})')
    points = np.load(found).astype(np.float64)
    if points.ndim != 2 or points.shape[1] != 3 or (num_points and len(points) != num_points):
        want = f'({num_points}, 3)' if num_points else '(P, 3)'
        raise ValueError(f'pose reference {found}: expected shape {want}, got {points.shape}')
    return points
