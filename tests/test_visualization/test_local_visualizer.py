"""Img2PoseLocalVisualizer: the default look (box, score, axes; the face stays visible), and
axes, landmarks and the translucent mesh where the pose projects them."""
from itertools import count
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmpose6d.geometry import FaceModel, image_intrinsics, pose_to_bbox, project_points
from mmpose6d.registry import VISUALIZERS
from mmpose6d.visualization import draw_mesh, reference_triangles

REPO = Path(__file__).resolve().parents[2]
REF68 = np.load(REPO / 'pose_references' / 'ref68.npy')
W, H = 320, 240
POSE = np.array([[0.15, -0.35, 0.1, 0.02, -0.01, 6.0]])
GREY = 100
_NAMES = count()  # visualizers are named singletons: a new name builds a new one


def build(**kwargs):
    init_default_scope('mmpose6d')
    vis = VISUALIZERS.build(
        dict(type='Img2PoseLocalVisualizer', name=f'img2pose_vis{next(_NAMES)}', **kwargs))
    vis.dataset_meta = dict(classes=('face', ), palette=[(66, 165, 245)])
    return vis


def sample(with_boxes=True, pose=POSE):
    """Instances as the model makes them: boxes, scores, labels, poses and the projected
    68-point reference."""
    boxes = pose_to_bbox(pose, np.array([W, H]), REF68) if with_boxes else np.zeros((1, 4))
    landmarks = project_points(REF68, pose, image_intrinsics(W, H))
    instances = InstanceData(bboxes=torch.tensor(boxes, dtype=torch.float32),
                             scores=torch.tensor([0.9]), labels=torch.tensor([0]),
                             poses=torch.tensor(pose, dtype=torch.float32),
                             landmarks=torch.tensor(landmarks, dtype=torch.float32))
    data = DetDataSample()
    data.pred_instances = instances
    data.gt_instances = instances.clone()
    return data


def draw(vis, data, **kwargs):
    image = np.full((H, W, 3), GREY, np.uint8)
    vis.add_datasample('face', image, data, draw_gt=False, **kwargs)
    return vis.get_image().astype(int)  # RGB


def test_default_look_keeps_the_face_visible():
    """Box, score as 0.90 and axes; no landmarks: most of the face box is untouched."""
    data = sample()
    drawn = draw(build(), data)
    x1, y1, x2, y2 = np.round(data.pred_instances.bboxes[0].numpy()).astype(int)
    inside = np.abs(drawn[y1 + 3:y2 - 3, x1 + 3:x2 - 3] - GREY).sum(-1) > 60
    assert 0.02 < inside.mean() < 0.25  # the axes only
    landmarks = np.round(project_points(REF68, POSE, image_intrinsics(W, H))[0]).astype(int)
    changed = np.abs(drawn - GREY).sum(-1) > 60
    assert changed[landmarks[:, 1], landmarks[:, 0]].mean() < 0.3
    # the score tab above the box: dark text on the box colour (66, 165, 245)
    tab = drawn[max(y1 - 14, 0):y1, x1:x1 + 30].reshape(-1, 3)
    assert (np.abs(tab - [66, 165, 245]).sum(1) < 30).mean() > 0.4
    assert (tab.max(1) < 60).sum() > 10


def test_axes_and_landmarks_follow_the_pose():
    drawn = draw(build(draw_landmarks=True), sample(with_boxes=False))
    assert drawn.shape == (H, W, 3)
    length = 0.5 * np.ptp(REF68, axis=0).max()
    ends = project_points(np.vstack([np.zeros(3), length * np.eye(3)]), POSE,
                          image_intrinsics(W, H))[0]
    for axis, channel in ((0, 0), (1, 1)):  # x red, y green (RGB image)
        along = ends[0] + np.linspace(0.6, 0.95, 6)[:, None] * (ends[axis + 1] - ends[0])
        u, v = np.round(along).astype(int).T
        others = np.delete(drawn[v, u], channel, axis=1)
        assert (drawn[v, u, channel] > others.max(1) + 80).all(), axis
    landmarks = np.round(project_points(REF68, POSE, image_intrinsics(W, H))[0]).astype(int)
    changed = np.abs(drawn - GREY).sum(-1) > 60
    assert changed[landmarks[:, 1], landmarks[:, 0]].mean() > 0.9
    assert not changed[:20].any() and not changed[:, :20].any()  # far from the face


def test_translucent_mesh():
    vis = build(draw_mesh=True, draw_landmarks=False, draw_axes=False, mesh_edge_color=None,
                mesh_alpha=0.4)
    drawn = draw(vis, sample(with_boxes=False))
    points = project_points(REF68, POSE, image_intrinsics(W, H))[0]
    centroids = points[vis.triangles].mean(1)
    u, v = np.round(centroids).astype(int).T
    # fill colour at opacity 0.4 (a few centroids of slivers sit on anti-aliased edges)
    blended = np.abs(drawn[v, u] - (GREY + 0.4 * (255 - GREY))).max(1) <= 2
    assert blended.mean() > 0.95
    assert (drawn[:20] == GREY).all()
    # the function itself: nothing drawn for non-finite faces
    img = np.full((H, W, 3), GREY, np.uint8)
    draw_mesh(img, np.full((1, 68, 2), np.nan), reference_triangles(REF68))
    assert (img == GREY).all()


def test_boxes_gt_and_threshold():
    vis = build()
    data = sample()
    both = draw(vis, data, draw_pred=True)
    assert both.shape == (H, W, 3)
    with_gt = np.full((H, W, 3), GREY, np.uint8)
    vis.add_datasample('face', with_gt, data, draw_gt=True)
    stitched = vis.get_image().astype(int)
    assert stitched.shape == (H, 2 * W, 3)
    np.testing.assert_array_equal(stitched[:, :W] != GREY, stitched[:, W:] != GREY)
    # the box edge is drawn
    x1, y1, x2, y2 = np.round(data.pred_instances.bboxes[0].numpy()).astype(int)
    assert (np.abs(both[y1:y2, x1] - GREY).sum(-1) > 60).mean() > 0.8
    # faces under the score threshold are not drawn
    assert (draw(vis, data, pred_score_thr=0.95) == GREY).all()


def test_face_model_from_file_and_errors(tmp_path):
    np.save(tmp_path / 'ref.npy', REF68 * 2)
    vis = build(face_model=dict(reference68=str(tmp_path / 'ref.npy')))
    np.testing.assert_allclose(vis.reference68, REF68 * 2)
    vis.set_face_model(FaceModel(torch.tensor(REF68 * 3, dtype=torch.float32)))  # the model's
    np.testing.assert_allclose(vis.reference68, REF68 * 3, rtol=1e-6)
    assert vis.reference68.dtype == np.float64
    with pytest.raises(FileNotFoundError, match='missing.npy'):
        build(face_model=dict(reference68=str(tmp_path / 'missing.npy')))
