"""``tools/deployment/pytorch2onnx.py``: the exported graph in onnxruntime gives the PyTorch
model's detections (a seeded random model from the base config, with a low score threshold
so that it detects) on images of drawn faces."""
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmpose6d.deployment import Img2PoseExportModel, OnnxImg2Pose, export_onnx, predict_pytorch
from mmpose6d.geometry import image_intrinsics, project_points
from mmpose6d.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'deployment' / 'pytorch2onnx.py'
BASE = REPO / 'configs' / '_base_' / 'models' / 'img2pose_r18_fpn.py'
REF68 = np.load(REPO / 'pose_references' / 'ref68.npy')
HEIGHT, WIDTH = 256, 320
CONFIG = f"""_base_ = {str(BASE)!r}
model = dict(
    channels_last={{channels_last}},
    roi_head=dict(pose_head=dict(pose_coder=dict(pose_mean=[0, 0, 0, 0, 0, 6],
                                                 pose_stddev=[0.3, 0.5, 0.3, 0.05, 0.05, 1.5]))),
    test_cfg=dict(rcnn=dict(score_thr={{score_thr}}, pose_refine_steps={{refine_steps}})))
"""
#: iBUG 68-point groups drawn as lines: jaw, brows, nose, eyes, lips
STROKES = [(range(0, 17), False), (range(17, 22), False), (range(22, 27), False),
           (range(27, 31), False), (range(31, 36), False), (range(36, 42), True),
           (range(42, 48), True), (range(48, 60), True), (range(60, 68), True)]


def face_image(seed, height=HEIGHT, width=WIDTH, num_faces=4):
    """Noise with faces: the 68-point reference projected with random poses, filled and
    outlined (BGR uint8)."""
    rng = np.random.default_rng(seed)
    image = cv2.GaussianBlur(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), (5, 5), 0)
    f = width + height
    for _ in range(num_faces):
        depth = rng.uniform(8, 18)
        u, v = rng.uniform(0.15, 0.85) * width, rng.uniform(0.2, 0.8) * height
        pose = np.r_[rng.normal(0, 0.25, 3), (u - width // 2) / f * depth,
                     (v - height // 2) / f * depth, depth]
        points = project_points(REF68, pose[None], image_intrinsics(width, height))[0]
        points = np.round(points).astype(np.int32)
        skin = tuple(int(c) for c in rng.integers(90, 230, 3))
        cv2.fillConvexPoly(image, cv2.convexHull(points), skin)
        for index, closed in STROKES:
            cv2.polylines(image, [points[list(index)]], closed, (30, 30, 60), 1, cv2.LINE_AA)
    return image


def random_model(config_path, score_thr, channels_last=False, refine_steps=0):
    """The base config's model with seeded random weights, the classifier's scores spread
    over (0, 1) (a random one gives ~0.5 everywhere)."""
    config_path.write_text(CONFIG.format(score_thr=score_thr, channels_last=channels_last,
                                         refine_steps=refine_steps))
    init_default_scope('mmpose6d')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(config_path)).model)
    with torch.no_grad():
        model.roi_head.bbox_head.fc_cls.weight *= 30
    return model.eval()


@pytest.fixture(scope='module', params=[(False, 0), (True, 2)],
                ids=['nchw', 'channels_last_pose_refined'])
def exported(tmp_path_factory, request):
    """The tool's export of a random model saved as a checkpoint -> (model, session), in
    both memory layouts of the model, the second with two pose refinement steps."""
    tmp_path = tmp_path_factory.mktemp('onnx')
    channels_last, refine_steps = request.param
    model = random_model(tmp_path / 'img2pose_random.py', 0.7, channels_last=channels_last,
                         refine_steps=refine_steps)
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'random.pth')
    onnx_path = tmp_path / 'img2pose.onnx'
    result = subprocess.run(
        [sys.executable, str(TOOL), str(tmp_path / 'img2pose_random.py'),
         str(tmp_path / 'random.pth'), '--out', str(onnx_path), '--shape', str(HEIGHT),
         str(WIDTH), '--verify'], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert 'unmatched 0 / 0; largest differences' in result.stdout, result.stdout
    return model, OnnxImg2Pose(onnx_path, threads=2)


def sorted_by_score(dets):
    order = np.argsort(-dets['scores'], kind='stable')
    return {k: v[order] for k, v in dets.items()}


@pytest.mark.parametrize('seed', [0, 3])
def test_onnxruntime_matches_pytorch(exported, seed):
    """Same detections; boxes within 1 px, scores within 1e-4, poses within 1e-3 (plus 1e-5
    relative: the random model's tz reaches ~100, where float32 steps are ~1e-5)."""
    model, session = exported
    image = face_image(seed)
    expected = sorted_by_score(predict_pytorch(model, image))
    out = sorted_by_score(session(image))
    assert 5 <= len(expected['scores']) < 100  # some detections, not every proposal
    assert out['boxes'].shape == (len(expected['scores']), 4) and out['poses'].shape[1] == 6
    np.testing.assert_allclose(out['scores'], expected['scores'], rtol=0, atol=1e-4)
    np.testing.assert_allclose(out['boxes'], expected['boxes'], rtol=0, atol=1)
    np.testing.assert_allclose(out['poses'], expected['poses'], rtol=1e-5, atol=1e-3)


def test_refinement_keeps_faces_pushed_out_of_the_image(tmp_path):
    """The export's refinement keeps a face whose box cannot be a RoI as PoseRoIHead does:
    the first poses of half the faces pushed out of the image (a hook on the pose branch,
    the same rows in both, picked by their own values), the traceable module gives the
    PyTorch model's detections, those faces among them with their first poses."""
    model = random_model(tmp_path / 'img2pose_random.py', 0.7, refine_steps=2)
    calls = []

    def push_half_away(module, args, out):
        calls.append(len(out))
        if len(calls) % 3 == 1:  # the first of each forward's three pose passes
            out = out.clone()
            out[out[:, 3] > out[:, 3].median(), 3] = 1000.0
        return out

    model.roi_head.pose_head.register_forward_hook(push_half_away)
    image = face_image(0)
    expected = sorted_by_score(predict_pytorch(model, image))
    with torch.no_grad():
        boxes, scores, poses = Img2PoseExportModel(model, HEIGHT, WIDTH)(
            torch.from_numpy(image))
    out = sorted_by_score(dict(boxes=boxes.numpy(), scores=scores.numpy(), poses=poses.numpy()))
    assert len(calls) == 6 and calls[0] == calls[3] >= 10
    head = model.roi_head.pose_head
    kept = ~head.usable_rois(torch.from_numpy(expected['boxes']))
    assert 0 < int(kept.sum()) < len(kept) and np.isfinite(expected['poses']).all()
    assert out['boxes'].shape == expected['boxes'].shape
    np.testing.assert_allclose(out['scores'], expected['scores'], rtol=0, atol=1e-5)
    np.testing.assert_allclose(out['boxes'], expected['boxes'], rtol=0, atol=1e-2)
    np.testing.assert_allclose(out['poses'], expected['poses'], rtol=1e-5, atol=1e-3)


def test_padding_empty_output_and_input_checks(tmp_path):
    """A size that is not a multiple of 32 (padded inside the graph as the data
    preprocessor pads), a valid graph of standard ops, and a threshold nothing passes: no
    faces, no error."""
    model = random_model(tmp_path / 'img2pose_random.py', 1.0)
    export_onnx(model, tmp_path / 'small.onnx', 120, 150)
    image = face_image(3, 120, 150, num_faces=1)
    wrapper = Img2PoseExportModel(model, 120, 150)
    sample = dict(inputs=[torch.from_numpy(image.transpose(2, 0, 1).copy())], data_samples=None)
    expected = model.data_preprocessor(sample)['inputs']
    assert expected.shape == (1, 3, 128, 160)
    torch.testing.assert_close(wrapper.preprocess(torch.from_numpy(image)), expected)

    graph = onnx.load(str(tmp_path / 'small.onnx'))
    onnx.checker.check_model(graph, full_check=True)
    assert {node.domain for node in graph.graph.node} == {''}  # no custom (mmcv) ops
    assert {'RoiAlign', 'NonMaxSuppression'} <= {node.op_type for node in graph.graph.node}

    session = OnnxImg2Pose(tmp_path / 'small.onnx')
    out = session(image)
    assert {k: v.shape for k, v in out.items()} == dict(boxes=(0, 4), scores=(0, ),
                                                        poses=(0, 6))
    assert len(predict_pytorch(model, image)['scores']) == 0
    with pytest.raises(ValueError, match=r'exported for \(120, 150, 3\)'):
        session(face_image(3))
