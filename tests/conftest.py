"""Shared fixtures: the read-only material in ``../shared`` (golden vectors, WIDER ground
truth), present in CI and absent from a user's clone, and the messages MMLogger logs."""
import logging
import os
from pathlib import Path

import numpy as np
import pytest
from mmengine.logging import MMLogger

SHARED = Path(__file__).resolve().parents[2] / 'shared'
REPO = Path(__file__).resolve().parents[1]


def shared_path(*parts):
    """A path under ``../shared``. Missing: the test skips with one line naming it, or fails
    in CI (``CI=true``), where the material must be there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f'{path} not found (the ../shared material is only in CI)'
        if os.environ.get('CI', '').lower() == 'true':
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope='session')
def golden():
    """Inputs and outputs of the original img2pose geometry code (``shared/data/golden``)."""
    return dict(np.load(shared_path('data', 'golden', 'img2pose_geometry_seed1.npz')))


@pytest.fixture(scope='session')
def shared_file():
    """:func:`shared_path` for tests outside this file."""
    return shared_path


@pytest.fixture
def logs():
    """The messages MMLogger's current instance emits during the test (mmpose6d's warnings
    and mmengine's go there)."""
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield messages
    logger.removeHandler(handler)
