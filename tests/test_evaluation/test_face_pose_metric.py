"""FacePoseMetric: AP at IoU 0.5 and pose errors against given global poses."""
import json

import numpy as np
import pytest
import torch

from mmpose6d.evaluation import FacePoseMetric
from mmpose6d.geometry import euler_to_rotvec, pose_to_bbox, rotvec_to_euler


def _euler_to_rotvec(pitch, yaw, roll):
    return euler_to_rotvec(np.array([[pitch, yaw, roll]], float))[0]


@pytest.fixture
def scene(golden, tmp_path):
    poses = np.array([np.r_[_euler_to_rotvec(5, -20, 3), 0.5, 0.2, 12.0],
                      np.r_[_euler_to_rotvec(-10, 30, -5), -1.0, -0.5, 15.0]])
    np.testing.assert_allclose(rotvec_to_euler(poses[:, :3]), [[5, -20, 3], [-10, 30, -5]],
                               atol=1e-9)
    wh = np.array([640.0, 480.0])
    boxes = pose_to_bbox(poses, wh, golden['ref68'])
    gt_file = tmp_path / 'poses.json'
    gt_file.write_text(json.dumps({'img_0.jpg': poses.tolist()}))
    np.save(tmp_path / 'ref68.npy', golden['ref68'])
    metric = FacePoseMetric(face_model=dict(reference68=str(tmp_path / 'ref68.npy')),
                            gt_poses_file=str(gt_file))
    return metric, poses, boxes


def _sample(boxes, scores, poses):
    """A data sample with the model's per-face outputs (the head's Euler angles included)."""
    poses = torch.tensor(poses, dtype=torch.float32)
    return dict(img_path='/data/val/images/img_0.jpg', ori_shape=(480, 640),
                pred_instances=dict(bboxes=torch.tensor(boxes, dtype=torch.float32),
                                    scores=torch.tensor(scores, dtype=torch.float32),
                                    poses=poses,
                                    euler=rotvec_to_euler(poses[:, :3].double()).float()))


def test_exact_predictions(scene):
    metric, poses, boxes = scene
    metric.process({}, [_sample(boxes, [0.9, 0.8], poses)])
    result = metric.compute_metrics(metric.results)
    assert result['AP50'] == pytest.approx(1.0)
    assert result['num_matched'] == 2
    for key in ('pitch', 'yaw', 'roll', 'mae', 'rot_err', 'trans_err'):
        assert result[key] < 1e-3, key


def test_yaw_offset_and_false_positive(scene):
    """+10 deg yaw on every face gives yaw MAE 10; a false positive scored above the second
    face halves the precision at full recall: AP = (1 + 2/3) / 2."""
    metric, poses, boxes = scene
    turned = poses.copy()
    for i, (pitch, yaw, roll) in enumerate([[5, -20, 3], [-10, 30, -5]]):
        turned[i, :3] = _euler_to_rotvec(pitch, yaw + 10, roll)
    far = [[10.0, 10.0, 40.0, 40.0]]
    metric.process({}, [_sample(np.r_[boxes, far], [0.9, 0.5, 0.7],
                                np.r_[turned, poses[:1]])])
    result = metric.compute_metrics(metric.results)
    assert result['AP50'] == pytest.approx((1 + 2 / 3) / 2)
    assert result['yaw'] == pytest.approx(10, abs=1e-3)
    assert result['pitch'] < 1e-3 and result['roll'] < 1e-3
    assert result['mae'] == pytest.approx(10 / 3, abs=1e-3)


def test_gt_poses_from_the_data_sample_leave_their_device(scene, golden, tmp_path):
    """Without a poses file the gt poses come from the data sample, where the data
    preprocessor put them on the model's device: they are read through ``to_numpy``. A
    tensor that needs a gradient refuses ``np.asarray`` as a CUDA tensor does."""
    _, poses, boxes = scene
    metric = FacePoseMetric(face_model=dict(reference68=str(tmp_path / 'ref68.npy')))
    sample = _sample(boxes, [0.9, 0.8], poses)
    sample['gt_instances'] = dict(poses=torch.tensor(poses, requires_grad=True))
    metric.process({}, [sample])
    result = metric.compute_metrics(metric.results)
    assert result['AP50'] == pytest.approx(1.0) and result['num_matched'] == 2
