"""A model given the user's camera (Img2Pose.camera, Img2PoseInferencer(camera=...)): the
faces' poses in that camera and their metric distance, on a random model."""
import json

import numpy as np
import pytest
import torch
from img2pose_checkpoint import write_random_img2pose
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmpose6d.apis import Img2PoseInferencer
from mmpose6d.geometry import (ADULT_IPD_MM, Camera, interpupillary_distance, project_points,
                               rotvec_to_euler)
from mmpose6d.models import Img2PoseTTAModel

CAMERA_KEYS = {'camera_poses': 6, 'camera_euler': 3, 'translation_mm': 3, 'distance_mm': None}
#: a camera unlike the model's (f = w + h = 350 for the 200 x 150 image), with distortion
CAMERA = dict(fx=250.0, fy=240.0, cx=90.0, cy=80.0, distortion=[-0.2, 0.05, 0.001, -0.001, 0])


@pytest.fixture(scope='module')
def inferencer(tmp_path_factory):
    config, checkpoint = write_random_img2pose(tmp_path_factory.mktemp('model'))
    return Img2PoseInferencer(str(config), str(checkpoint), device='cpu', show_progress=False,
                              camera=CAMERA)


@pytest.fixture(scope='module')
def image():
    return np.random.default_rng(0).integers(0, 256, (150, 200, 3), dtype=np.uint8)


def _instances(inferencer, image):
    result = inferencer(image, pred_score_thr=0, return_datasamples=True)
    return result['predictions'][0].pred_instances


def test_fields_shapes_dtypes_and_reprojection(inferencer, image):
    """Every face gets the four fields (float32, on the predictions' device); its pose in the
    distorted camera projects back onto the model's landmarks within 0.1 px; the Euler angles
    and millimetres are those of that pose with the reference's eyes 63.36 mm apart."""
    inst = _instances(inferencer, image)
    n = len(inst)
    assert n == 5
    for key, width in CAMERA_KEYS.items():
        assert inst[key].shape == ((n, width) if width else (n, ))
        assert inst[key].dtype == torch.float32 and inst[key].device == inst.poses.device
    reference = inferencer.model.face_model.reference68.double()
    poses = inst.camera_poses.double()
    reprojected = Camera.build(CAMERA).project(reference, poses)
    assert np.abs(reprojected - inst.landmarks.numpy()).max() < 0.1
    np.testing.assert_allclose(inst.camera_euler, rotvec_to_euler(poses[:, :3]), atol=1e-4)
    scale = ADULT_IPD_MM / interpupillary_distance(reference)
    np.testing.assert_allclose(inst.translation_mm, poses[:, 3:] * scale, rtol=1e-6)
    np.testing.assert_allclose(inst.distance_mm, poses[:, 3:].norm(dim=1) * scale, rtol=1e-6)


def test_the_models_own_camera_gives_its_poses_back(inferencer, image):
    """The 200 x 150 image reaches the network as 640 x 480, a uniform 3.2x resize, so the
    model's camera seen in the image is f = 200 + 150, centre (100, 75): there the solved
    poses are the model's own."""
    inferencer.model.camera = (350, 350, 100, 75)
    try:
        inst = _instances(inferencer, image)
    finally:
        inferencer.model.camera = CAMERA
    np.testing.assert_allclose(inst.camera_poses[:, :3], inst.poses[:, :3], atol=2e-5)
    np.testing.assert_allclose(inst.camera_poses[:, 3:], inst.poses[:, 3:], rtol=2e-5)


def test_predictions_json_and_ipd(inferencer, image):
    """pred2dict carries the fields; a subject's own IPD scales the distances linearly; a
    model without a camera gives none of them."""
    pred = inferencer(image, pred_score_thr=0)['predictions'][0]
    assert set(CAMERA_KEYS) <= set(pred)
    json.dumps(pred)
    inferencer.model.ipd_mm = 2 * ADULT_IPD_MM
    try:
        doubled = inferencer(image, pred_score_thr=0)['predictions'][0]
    finally:
        inferencer.model.ipd_mm = ADULT_IPD_MM
    np.testing.assert_allclose(doubled['distance_mm'], 2 * np.array(pred['distance_mm']),
                               rtol=1e-6)
    np.testing.assert_allclose(doubled['camera_poses'], pred['camera_poses'])
    inferencer.model.camera = None
    try:
        plain = inferencer(image, pred_score_thr=0)['predictions'][0]
    finally:
        inferencer.model.camera = CAMERA
    assert not set(CAMERA_KEYS) & set(plain)
    np.testing.assert_allclose(plain['poses'], pred['poses'])  # the other outputs unchanged


def test_bad_settings_are_refused(inferencer, image, tmp_path):
    model = inferencer.model
    with pytest.raises(ValueError, match='ipd_mm must be a positive number'):
        model.ipd_mm = -1
    with pytest.raises(FileNotFoundError, match='nope.yml: no such camera calibration file'):
        model.camera = str(tmp_path / 'nope.yml')
    calibrated = Camera.from_intrinsics(900, 900, 640, 360, image_size=(1280, 720),
                                        source='hd.json')
    model.camera = calibrated
    try:
        with pytest.raises(ValueError, match=r'hd.json: calibrated on 1280 x 720 images, given '
                           r'a 200 x 150 image'):
            inferencer(image, pred_score_thr=0)
    finally:
        model.camera = CAMERA
    assert isinstance(model.camera, Camera) and model.camera.intrinsics == (250, 240, 90, 80)


def test_no_faces_and_several_images_in_one_solve(inferencer):
    """add_camera_outputs solves the faces of all samples together and splits them back,
    also when a sample has none."""
    model = inferencer.model
    reference = model.face_model.reference68.double()
    poses = torch.tensor([[0.1, -0.3, 0.05, 0.2, -0.1, 12.0], [0, 0.4, 0, -0.5, 0.3, 15.0]])
    k_img = np.array([[350.0, 0, 100], [0, 350, 75], [0, 0, 1]])
    landmarks = torch.tensor(project_points(reference.numpy(), poses.double().numpy(), k_img),
                             dtype=torch.float32)

    class Sample:
        ori_shape = (150, 200)

        def __init__(self, index):
            self.pred_instances = InstanceData(poses=poses[index], landmarks=landmarks[index])

    samples = [Sample(slice(0, 2)), Sample(slice(0, 0)), Sample(slice(1, 2))]
    model.add_camera_outputs(samples)
    assert [len(s.pred_instances.camera_poses) for s in samples] == [2, 0, 1]
    assert samples[1].pred_instances.distance_mm.shape == (0, )
    np.testing.assert_allclose(samples[2].pred_instances.camera_poses,
                               samples[0].pred_instances.camera_poses[1:])


def test_tta_merged_faces_get_their_camera_poses(inferencer):
    """Img2PoseTTAModel: each voted face's camera outputs are solved from its merged pose's
    landmarks (those of the passes are dropped with the passes)."""
    pose = [0.1, 0.3, -0.2, 0.5, -0.2, 20.0]
    sample = DetDataSample(metainfo=dict(ori_shape=(150, 200), flip=False))
    sample.pred_instances = InstanceData(bboxes=torch.tensor([[80.0, 60, 110, 95]]),
                                         scores=torch.tensor([0.9]),
                                         labels=torch.zeros(1, dtype=torch.long),
                                         poses=torch.tensor([pose]))
    model = inferencer.model
    inst = Img2PoseTTAModel(module=model).merge_preds([[sample]])[0].pred_instances
    expected = model.face_model.camera_outputs(inst.landmarks, inst.poses[:, :3], model.camera,
                                               model.ipd_mm)
    assert set(expected) <= set(inst.keys())
    for key, value in expected.items():
        np.testing.assert_allclose(inst[key], value, rtol=1e-6, err_msg=key)
    assert inst.distance_mm.shape == (1, )


def test_tta_solves_the_camera_once_for_the_merged_faces(inferencer, image, monkeypatch):
    """Img2PoseTTAModel.test_step runs the views without the camera (their faces are merged
    away) and solves the merged faces' poses in it once; the camera is back afterwards."""
    model = inferencer.model
    cameras_in_views, solved = [], []
    predict, add_camera_outputs = model.predict, model.add_camera_outputs

    def spy_predict(*args, **kwargs):
        cameras_in_views.append(model.camera)
        return predict(*args, **kwargs)

    def spy_add(samples):
        solved.append(len(samples))
        return add_camera_outputs(samples)

    monkeypatch.setattr(model, 'predict', spy_predict)
    monkeypatch.setattr(model, 'add_camera_outputs', spy_add)
    view = inferencer.pipeline(image)
    data = dict(inputs=[[view['inputs']], [view['inputs']]],
                data_samples=[[view['data_samples']], [view['data_samples'].clone()]])
    camera = model.camera
    with torch.no_grad():  # as mmengine's TestLoop runs it
        merged = Img2PoseTTAModel(module=model).test_step(data)
    assert cameras_in_views == [None, None] and solved == [1] and model.camera is camera
    inst = merged[0].pred_instances
    assert len(inst) > 0
    expected = model.face_model.camera_outputs(inst.landmarks, inst.poses[:, :3], camera,
                                               model.ipd_mm)
    for key, value in expected.items():
        np.testing.assert_allclose(inst[key], value, rtol=1e-6, err_msg=key)
