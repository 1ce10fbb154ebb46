"""Model fixtures: a PoseHead built with the golden (original) references."""
import pytest
from mmengine.registry import init_default_scope

import mmpose6d.models  # noqa: F401  (registers the modules)
from mmpose6d.registry import MODELS

POSE_MEAN = [0.0, 0.0, 0.0, 0.0, 0.0, 6.0]
POSE_STDDEV = [0.3, 0.5, 0.3, 0.05, 0.05, 1.5]


@pytest.fixture
def pose_head(golden, tmp_path):
    import numpy as np
    init_default_scope('mmpose6d')
    np.save(tmp_path / 'ref68.npy', golden['ref68'])
    np.save(tmp_path / 'ref5.npy', golden['ref5'])
    np.save(tmp_path / 'pose_stddev.npy', POSE_STDDEV)  # statistics load from files too
    head = MODELS.build(
        dict(type='PoseHead',
             pose_coder=dict(type='LocalPoseCoder', pose_mean=POSE_MEAN,
                             pose_stddev=str(tmp_path / 'pose_stddev.npy')),
             face_model=dict(reference68=str(tmp_path / 'ref68.npy'),
                             reference5=str(tmp_path / 'ref5.npy'))))
    head.init_weights()
    return head
