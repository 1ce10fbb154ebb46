"""Img2PoseTTAModel: flipped detections mirrored back, boxes voted, poses averaged."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmpose6d import geometry as g
from mmpose6d.models import Img2PoseTTAModel
from mmpose6d.models.test_time_augs import merge_poses

WIDTH, HEIGHT = 640, 480


def _sample(boxes, scores, poses, flip):
    sample = DetDataSample(metainfo=dict(ori_shape=(HEIGHT, WIDTH), flip=flip))
    sample.pred_instances = InstanceData(
        bboxes=torch.tensor(boxes, dtype=torch.float32),
        scores=torch.tensor(scores, dtype=torch.float32),
        labels=torch.zeros(len(scores), dtype=torch.long),
        poses=torch.tensor(poses, dtype=torch.float32))
    return sample


def test_merge_poses_is_the_weighted_chordal_mean():
    poses = torch.tensor([[0.0, 0.2, 0.0, 1.0, 2.0, 10.0], [0.0, 0.4, 0.0, 3.0, 2.0, 12.0],
                          [0.1, 0.0, 0.0, 0.0, 0.0, 5.0]], dtype=torch.float64)
    merged = merge_poses(poses, np.array([2, 0, 1]), np.array([1, 0, 0]),
                         np.array([0.5, 1.0, 1.0]), num_groups=2)
    # equal weights of two rotations about one axis: the mean angle
    np.testing.assert_allclose(merged[0].numpy(), [0, 0.3, 0, 2.0, 2.0, 11.0], atol=1e-9)
    np.testing.assert_allclose(merged[1].numpy(), poses[2].numpy(), atol=1e-12)
    # weights 3:1 of translations 1 and 3 along x
    merged = merge_poses(poses, np.array([0, 1]), np.array([0, 0]), np.array([0.3, 0.1]), 1)
    np.testing.assert_allclose(merged[0, 3:].numpy(), [1.5, 2.0, 10.5], atol=1e-9)
    assert merge_poses(poses, np.zeros(0, int), np.zeros(0, int), np.zeros(0), 0).shape == (0, 6)


def test_voting_groups_are_flat():
    """bbox_voting's groups: each input row once, with its merged row and weight."""
    dets = np.array([[0, 0, 10, 10, 0.9], [1, 0, 11, 10, 0.6], [50, 50, 60, 60, 0.8]])
    voted, (members, group_ids, weights) = g.bbox_voting(dets, 0.6, return_groups=True)
    assert len(voted) == 2
    assert members.tolist() == [0, 1, 2] and group_ids.tolist() == [0, 0, 1]
    iou = 110 / 132  # +1 areas: 11 x 11 each, 10 x 11 overlap
    np.testing.assert_allclose(weights, [1.0, 0.6 / 0.9 * iou, 1.0])
    np.testing.assert_allclose(voted[0, 4], 0.9 + 0.6 * 0.6 / 0.9 * iou)


class _Detector(torch.nn.Module):
    """merge_preds only needs a module with test_step and the face model."""

    def __init__(self):
        super().__init__()
        self.face_model = g.FaceModel()

    def test_step(self, data):
        return data


def test_flip_is_undone_before_voting():
    tta = Img2PoseTTAModel(module=_Detector(), tta_cfg=dict(iou_thr=0.6))
    pose = np.array([0.1, 0.3, -0.2, 1.5, -0.5, 20.0])
    box = np.array([100.0, 120.0, 180.0, 220.0])
    plain = _sample([box], [0.9], [pose], flip=False)
    flipped = _sample(g.flip_boxes(box[None], WIDTH), [0.8], g.flip_poses(pose[None]),
                      flip=True)
    far = _sample([[400.0, 50.0, 450.0, 110.0]], [0.7], [[0, 0, 0, 0, 0, 30.0]], flip=False)
    merged = tta.merge_preds([[plain, flipped, far]])[0].pred_instances
    assert len(merged) == 2
    np.testing.assert_allclose(merged.bboxes[0].numpy(), box, atol=1e-4)
    np.testing.assert_allclose(merged.poses[0].numpy(), pose, atol=1e-5)
    # voted score: sum of score * weight, weights (score / max) * IoU = 1 and 8/9
    assert merged.scores[0].item() == pytest.approx(0.9 + 0.8 * 0.8 / 0.9, rel=1e-5)
    assert merged.scores[1].item() == pytest.approx(0.7)
    # the merged faces carry the model's per-face outputs, from the merged poses
    poses = merged.poses.double().numpy()
    np.testing.assert_allclose(merged.euler.numpy(), g.rotvec_to_euler(poses[:, :3]),
                               atol=1e-4)
    ref68 = g.FaceModel().reference68
    np.testing.assert_allclose(merged.landmarks.numpy(),
                               g.project_points(ref68, poses, g.image_intrinsics(WIDTH, HEIGHT)),
                               atol=1e-3)
    assert merged.landmarks5.shape == (2, 5, 2)


def test_boxes_are_truncated_before_the_flip_back():
    """As the original: each pass's box is cast to int (toward zero) first, then a flipped
    one becomes ``w - x2, w - x1``."""
    tta = Img2PoseTTAModel(module=_Detector())
    pose = [0.0, 0.0, 0.0, 0.0, 0.0, 20.0]
    flipped = _sample([[100.7, 120.2, 180.9, 220.6]], [0.8], [pose], flip=True)
    merged = tta.merge_preds([[flipped]])[0].pred_instances
    assert merged.bboxes[0].tolist() == [WIDTH - 180, 120, WIDTH - 100, 220]
    assert tta.tta_cfg['max_per_img'] is None  # every voted box is kept
