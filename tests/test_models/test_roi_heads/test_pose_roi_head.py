"""PoseRoIHead: two branches on one RoIAlign; the pose branch sees the positives in
training and only the passing RoIs at inference, with the results of running it on all."""
from pathlib import Path

import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import bbox_overlaps
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmpose6d.registry import MODELS

BASE = Path(__file__).resolve().parents[3] / 'configs/_base_/models/img2pose_r18_fpn.py'
WIDTH, HEIGHT = 320, 256


@pytest.fixture
def roi_head():
    init_default_scope('mmpose6d')
    model = Config.fromfile(BASE).model
    cfg = model.roi_head
    cfg.pose_head.pose_coder.update(pose_mean=[0, 0, 0, 0, 0, 6],
                                    pose_stddev=[.3, .5, .3, .05, .05, 1.5])
    cfg.update(train_cfg=model.train_cfg.rcnn, test_cfg=model.test_cfg.rcnn)
    torch.manual_seed(0)
    head = MODELS.build(cfg)
    with torch.no_grad():  # spread the random face scores over (0, 1)
        head.bbox_head.fc_cls.weight *= 40
    return head


def _features(seed=0, images=1):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(images, 256, HEIGHT // s, WIDTH // s, generator=gen)
            for s in (4, 8, 16, 32, 64)]


def _proposals(seed, num=60):
    gen = torch.Generator().manual_seed(seed)
    xy = torch.rand(num, 2, generator=gen) * torch.tensor([WIDTH - 80, HEIGHT - 80])
    wh = 8 + torch.rand(num, 2, generator=gen) * 150
    return InstanceData(bboxes=torch.cat([xy, torch.minimum(xy + wh, torch.tensor(
        [float(WIDTH), float(HEIGHT)]))], 1))


def _record_inputs(module):
    sizes = []
    module.register_forward_hook(lambda mod, args, out: sizes.append(len(args[0])))
    return sizes


def test_pose_branch_runs_on_passing_rois_only(roi_head):
    roi_head.eval()
    feats = _features(images=2)
    proposals = [_proposals(1), _proposals(2)]
    proposals[0].bboxes[5] = torch.tensor([30.0, 30.0, 30.005, 90.0])  # under 0.01 px wide
    metas = [dict(img_shape=(HEIGHT, WIDTH), ori_shape=(HEIGHT, WIDTH))] * 2
    pose_inputs = _record_inputs(roi_head.pose_head)
    with torch.no_grad():
        results = roi_head.predict_bbox(feats, metas, proposals, roi_head.test_cfg)
        # reference: both branches on every RoI, then the selection rule
        expected, selected = [], 0
        for image, props in enumerate(proposals):
            rois = torch.cat([torch.full((len(props), 1), float(image)), props.bboxes], 1)
            rois[:, 0] = 0  # this image alone
            pooled = roi_head._roi_feats([f[image:image + 1] for f in feats], rois)
            scores = roi_head.bbox_head(pooled)[0].softmax(-1)[:, 0]
            poses = roi_head.pose_head(pooled)
            wh = props.bboxes[:, 2:] - props.bboxes[:, :2]
            keep = ((scores > 0.05) & (wh >= 0.01).all(1)).nonzero()[:, 0]
            selected += len(keep)
            assert 5 not in keep.tolist() or image == 1
            expected += roi_head.pose_head.predict_by_feat(
                (poses[keep], ), [InstanceData(bboxes=props.bboxes[keep], scores=scores[keep],
                                               labels=torch.zeros(len(keep), dtype=torch.long))],
                [metas[image]], roi_head.test_cfg)
    assert pose_inputs[0] == selected and 0 < selected < 120  # then the reference calls
    for result, reference in zip(results, expected):
        assert len(result) == len(reference) > 0
        torch.testing.assert_close(result.bboxes, reference.bboxes, rtol=0, atol=0)
        torch.testing.assert_close(result.scores, reference.scores, rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(result.poses, reference.poses, rtol=1e-5, atol=1e-5)


def test_no_proposals_and_nothing_passing(roi_head):
    roi_head.eval()
    metas = [dict(img_shape=(HEIGHT, WIDTH), ori_shape=(HEIGHT, WIDTH))]
    empty = InstanceData(bboxes=torch.zeros(0, 4))
    result = roi_head.predict_bbox(_features(), metas, [empty], roi_head.test_cfg)[0]
    assert result.poses.shape == (0, 6) and len(result.bboxes) == 0
    assert result.euler.shape == (0, 3) and result.landmarks.shape == (0, 68, 2)
    assert result.landmarks5.shape == (0, 5, 2)
    strict = ConfigDict(dict(roi_head.test_cfg, score_thr=1.0))
    with torch.no_grad():
        result = roi_head.predict_bbox(_features(), metas, [_proposals(1)], strict)[0]
    assert len(result) == 0 and result.poses.shape == (0, 6)
    assert result.euler.shape == (0, 3) and result.landmarks.shape == (0, 68, 2)


def test_training_feeds_positives_to_the_pose_branch(roi_head):
    """Every one of the 100 proposals and 2 ground truths fits the 512-RoI sample: the
    score branch sees all 102, the pose branch exactly those with IoU >= 0.5."""
    roi_head.train()
    poses = torch.tensor([[0.1, -0.2, 0.05, -0.3, 0.2, 8.0], [0.0, 0.3, 0.0, 0.5, 0.1, 10.0]])
    wh = torch.tensor([WIDTH, HEIGHT], dtype=torch.float64)
    gt = InstanceData(bboxes=roi_head.pose_head.face_model.boxes(poses.double(), wh).float(),
                      poses=poses, labels=torch.zeros(2, dtype=torch.long))
    sample = DetDataSample(metainfo=dict(img_shape=(HEIGHT, WIDTH)))
    sample.gt_instances = gt
    proposals = _proposals(3, num=100)
    candidates = torch.cat([gt.bboxes, proposals.bboxes])
    expected_pos = int((bbox_overlaps(candidates, gt.bboxes).max(1).values >= 0.5).sum())
    pose_inputs, cls_inputs = _record_inputs(roi_head.pose_head), \
        _record_inputs(roi_head.bbox_head)
    losses = roi_head.loss(_features(), [proposals], [sample])
    assert set(losses) == {'loss_cls', 'acc', 'loss_dof', 'loss_points'}
    assert all(torch.isfinite(losses[k]) for k in ('loss_cls', 'loss_dof', 'loss_points'))
    assert cls_inputs == [102] and pose_inputs == [expected_pos] and expected_pos >= 2
    assert 0 <= losses['acc'].item() <= 100


def _refining(roi_head):
    """Test settings with two refinement steps, and a list that records every RoI batch the
    head pools from then on -> (cfg, metas, rois_seen, the unrecorded pooling)."""
    roi_head.eval()
    cfg = ConfigDict(dict(roi_head.test_cfg, pose_refine_steps=2))
    metas = [dict(img_shape=(HEIGHT, WIDTH), ori_shape=(HEIGHT, WIDTH))]
    rois_seen, roi_feats = [], roi_head._roi_feats
    roi_head._roi_feats = lambda x, rois: (rois_seen.append(rois.clone()), roi_feats(x, rois))[1]
    return cfg, metas, rois_seen, roi_feats


@pytest.mark.parametrize('autocast', [False, True], ids=['float32', 'bfloat16_autocast'])
def test_pose_refinement_reruns_the_pose_branch_on_the_projected_boxes(roi_head, autocast):
    """pose_refine_steps=2: the pose branch runs three times, each later time on the boxes
    the previous poses project to; the faces are the last run's, decoded in those boxes.
    Under a bfloat16 autocast the geometry stays float64 / float32 all the same."""
    cfg, metas, rois_seen, roi_feats = _refining(roi_head)
    outputs = []
    roi_head.pose_head.register_forward_hook(lambda mod, args, out: outputs.append(out))
    with torch.no_grad(), torch.autocast('cpu', torch.bfloat16, enabled=autocast):
        result = roi_head.predict_bbox(_features(), metas, [_proposals(1)], cfg)[0]
    assert len(rois_seen) == len(outputs) == 3 and len(result) > 0
    head, wh = roi_head.pose_head, torch.tensor([WIDTH, HEIGHT], dtype=torch.float64)
    selected = len(outputs[0])
    scores = roi_head.bbox_head(roi_feats(_features(), rois_seen[0]))[0].float().softmax(-1)
    passing = (scores[:, 0] > cfg.score_thr).nonzero()[:, 0]
    boxes = rois_seen[0][passing, 1:].double()
    assert len(passing) == selected > 0
    for step in (1, 2):
        poses, boxes = head.decode_faces(outputs[step - 1].double(), boxes, wh)
        assert rois_seen[step].dtype == torch.float32
        torch.testing.assert_close(rois_seen[step][:, 1:], boxes.float(), rtol=0, atol=1e-4)
    poses, boxes = head.decode_faces(outputs[2].double(), rois_seen[2][:, 1:].double(), wh)
    assert result.poses.dtype == result.bboxes.dtype == torch.float32
    # the faces after NMS are rows of the last decoding
    matches = torch.cdist(result.poses.double(), poses).min(1).values
    assert matches.max() < 1e-5
    refined_away = torch.cdist(result.poses.double(), head.decode_faces(
        outputs[0].double(), rois_seen[0][passing, 1:].double(), wh)[0]).min(1).values
    assert refined_away.max() > 1e-3


def test_pose_refinement_keeps_faces_whose_boxes_leave_the_image(roi_head):
    """A first pose that projects outside the image gives an empty box, which cannot be a
    RoI (decoded in it, the next pose would be infinite): that face keeps its proposal and
    its first pose through both steps, and the others are refined as before."""
    cfg, metas, rois_seen, roi_feats = _refining(roi_head)
    outputs = []

    def away_first(module, args, out):
        if not outputs:  # the first face's first pose: 1000 sigmas to the right
            out = out.clone()
            out[0, 3] = 1000.0
        outputs.append(out)
        return out

    roi_head.pose_head.register_forward_hook(away_first)
    with torch.no_grad():
        result = roi_head.predict_bbox(_features(), metas, [_proposals(1)], cfg)[0]
    head, wh = roi_head.pose_head, torch.tensor([WIDTH, HEIGHT], dtype=torch.float64)
    assert len(rois_seen) == len(outputs) == 3 and len(result) > 0
    scores = roi_head.bbox_head(roi_feats(_features(), rois_seen[0]))[0].softmax(-1)
    first_rois = rois_seen[0][(scores[:, 0] > cfg.score_thr).nonzero()[:, 0]]
    away_pose, away_box = head.decode_faces(outputs[0][:1].double(),
                                            first_rois[:1, 1:].double(), wh)
    assert not head.usable_rois(away_box)[0] and head.usable_rois(first_rois[:, 1:]).all()
    for step in (1, 2):
        assert torch.isfinite(rois_seen[step]).all()
        torch.testing.assert_close(rois_seen[step][0], first_rois[0], rtol=0, atol=0)
        assert (rois_seen[step][1:] - first_rois[1:]).abs().max() > 1.0
    assert torch.isfinite(result.poses).all()
    # the kept face is among the results with its first pose (the branch re-run on the
    # same box would have given it without the push)
    assert torch.cdist(result.poses.double(), away_pose).min() < 1e-5
