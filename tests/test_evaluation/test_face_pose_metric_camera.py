"""FacePoseMetric(camera=...): poses scored in the user's camera, ground-truth boxes projected
through it."""
import json

import numpy as np
import pytest
import torch

from mmpose6d.evaluation import FacePoseMetric
from mmpose6d.geometry import Camera, FaceModel, box_iou, euler_to_rotvec, rotvec_to_euler

#: a wide-angle 640 x 480 camera, off centre, with barrel distortion
CAMERA = dict(fx=400.0, fy=400.0, cx=350.0, cy=220.0, distortion=[-0.2, 0.05, 0, 0, 0])
EULER = np.array([[5.0, -20, 3], [-10, 30, -5], [0, 50, 10]])


@pytest.fixture
def scene(tmp_path):
    """Three faces posed in CAMERA, two near the border, and their boxes through it."""
    poses = np.c_[euler_to_rotvec(EULER), [[-3.5, -2.0, 12.0], [4.0, 2.5, 13.0], [0, 0, 9.0]]]
    gt_file = tmp_path / 'poses.json'
    gt_file.write_text(json.dumps({'img_0.jpg': poses.tolist()}))
    boxes = FaceModel().camera_boxes(poses, np.array([640, 480]), Camera.build(CAMERA))
    return poses, boxes, str(gt_file)


def _sample(boxes, poses, camera_poses):
    """The model's outputs of one image with a camera: poses in its own camera and in the
    user's."""
    poses, camera_poses = (torch.tensor(p, dtype=torch.float32) for p in (poses, camera_poses))
    return dict(img_path='/data/cam/images/img_0.jpg', ori_shape=(480, 640),
                pred_instances=dict(bboxes=torch.tensor(boxes, dtype=torch.float32),
                                    scores=torch.tensor([0.9, 0.8, 0.7]), poses=poses,
                                    euler=rotvec_to_euler(poses[:, :3].double()).float(),
                                    camera_poses=camera_poses,
                                    camera_euler=rotvec_to_euler(
                                        camera_poses[:, :3].double()).float()))


def test_camera_poses_scored_in_the_camera(scene):
    """Exact poses in the camera score 0 error and AP 1 against boxes projected through it;
    a 10 degree yaw on every face in the camera gives yaw MAE 10. The model's own poses
    (here the same numbers, read in the wrong camera) are not what is scored."""
    poses, boxes, gt_file = scene
    metric = FacePoseMetric(gt_poses_file=gt_file, camera=CAMERA)
    wrong = poses.copy()
    wrong[:, 5] *= 2
    metric.process({}, [_sample(boxes, wrong, poses)])
    result = metric.compute_metrics(metric.results)
    assert result['AP50'] == pytest.approx(1.0) and result['num_matched'] == 3
    for key in ('mae', 'rot_err', 'trans_err'):
        assert result[key] < 1e-4, key
    turned = poses.copy()
    turned[:, :3] = euler_to_rotvec(EULER + [0, 10, 0])
    metric = FacePoseMetric(gt_poses_file=gt_file, camera=CAMERA)
    metric.process({}, [_sample(boxes, poses, turned)])
    result = metric.compute_metrics(metric.results)
    assert result['yaw'] == pytest.approx(10, abs=1e-3) and result['pitch'] < 1e-3


def test_boxes_through_the_camera_differ_from_the_image_cameras(scene):
    """The same poses boxed in the f = w + h image camera miss the faces the camera drew:
    without the camera option those boxes are the ground truth and no face matches."""
    poses, boxes, gt_file = scene
    image_boxes = FaceModel().boxes(poses, np.array([640.0, 480.0]))
    np.testing.assert_allclose(box_iou(boxes, image_boxes, aligned=True), [0, 0, 0.126],
                               atol=1e-3)
    metric = FacePoseMetric(gt_poses_file=gt_file)
    metric.process({}, [_sample(boxes, poses, poses)])
    assert metric.compute_metrics(metric.results)['num_matched'] == 0


def test_predictions_without_camera_poses_are_refused(scene):
    poses, boxes, gt_file = scene
    sample = _sample(boxes, poses, poses)
    del sample['pred_instances']['camera_poses']
    metric = FacePoseMetric(gt_poses_file=gt_file, camera=CAMERA)
    with pytest.raises(KeyError, match='no camera_poses: give the model the camera too'):
        metric.process({}, [sample])
