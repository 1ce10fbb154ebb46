"""Shared fixtures: the golden files (``golden_files.py``), the read-only material in
``../shared`` (WIDER ground truth), present in CI and absent from a user's clone, and the
messages MMLogger logs."""
import logging

import pytest
from golden_files import SHARED, golden_arrays, golden_seeds, missing
from mmengine.logging import MMLogger


def shared_path(*parts):
    """A path under ``../shared``. Missing: the test skips with one line naming it, or fails
    in CI (``CI=true``), where the material must be there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        missing(f'{path} not found (the ../shared material is only in CI)')
    return path


@pytest.fixture(scope='session', params=golden_seeds('img2pose_geometry'),
                ids=lambda seed: f'seed{seed}')
def golden(request):
    """Inputs and outputs of the original img2pose geometry code
    (``img2pose_geometry_seed*.npz``), one seed after another."""
    return golden_arrays(f'img2pose_geometry_seed{request.param}.npz')


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
