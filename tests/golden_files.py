"""Golden files: outputs of the original img2pose code, in ``tests/data/golden`` (seed 1, in
every clone) and in ``../shared/data/golden`` where that exists (further seeds).

A test takes every seed found in either folder; a file in both is read from ``../shared``.
The original 3D references are not in the repository (their licence is non-commercial): a
test that needs them reads them from ``../shared`` and skips without it (fails in CI).
"""
import os
import re
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / 'shared'
#: the folders searched, the first one preferred
GOLDEN_DIRS = (SHARED / 'data' / 'golden', REPO / 'tests' / 'data' / 'golden')
#: the original img2pose references, kept out of the repository's copy of the geometry file
ORIGINAL_REFERENCES = ('ref68', 'ref5')
NO_REFERENCES = (f'the original img2pose references (ref68, ref5) are only in {GOLDEN_DIRS[0]} '
                 '(non-commercial licence: not in the repository)')


def missing(message):
    """Skip the test with ``message``, or fail it in CI (``CI=true``), where ``../shared``
    must be there."""
    if os.environ.get('CI', '').lower() == 'true':
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def golden_seeds(prefix):
    """The seeds of ``{prefix}_seed{N}.npz`` in any golden folder, each once, ascending."""
    pattern = re.compile(rf'{re.escape(prefix)}_seed(\d+)\.npz')
    return sorted({int(m.group(1)) for folder in GOLDEN_DIRS if folder.is_dir()
                   for path in folder.iterdir() if (m := pattern.fullmatch(path.name))})


def golden_path(name):
    """The golden file or folder ``name`` from the first golden folder holding it."""
    for folder in GOLDEN_DIRS:
        if (folder / name).exists():
            return folder / name
    missing(f'{name} not found in ' + ' or '.join(str(folder) for folder in GOLDEN_DIRS))


class GoldenArrays(dict):
    """The arrays of a golden ``.npz`` file; asking for an original reference the file lacks
    (the repository's copy) skips the test, as a missing ``../shared`` does."""

    def __init__(self, path):
        super().__init__(np.load(path))

    def __missing__(self, key):
        if key in ORIGINAL_REFERENCES:
            missing(NO_REFERENCES)
        raise KeyError(key)


def golden_arrays(name):
    """:class:`GoldenArrays` of the golden ``.npz`` file ``name``."""
    return GoldenArrays(golden_path(name))


def original_references():
    """``{'ref68': (68,3), 'ref5': (5,3)}`` of the original img2pose code, from a geometry
    golden file (every seed holds the same ones)."""
    for seed in golden_seeds('img2pose_geometry'):
        arrays = golden_arrays(f'img2pose_geometry_seed{seed}.npz')
        if set(ORIGINAL_REFERENCES) <= set(arrays):
            return {key: arrays[key] for key in ORIGINAL_REFERENCES}
    missing(NO_REFERENCES)
