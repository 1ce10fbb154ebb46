"""Shared fixtures: the golden vectors of the original img2pose geometry code."""
from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[2] / 'shared'
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope='session')
def golden():
    """Inputs and outputs of the original img2pose code (``shared/data/golden``)."""
    return dict(np.load(SHARED / 'data' / 'golden' / 'img2pose_geometry_seed1.npz'))
