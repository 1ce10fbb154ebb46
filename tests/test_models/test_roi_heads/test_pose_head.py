"""PoseHead: targets, losses and post-processing against the original geometry."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmdet.models.task_modules.assigners import AssignResult
from mmdet.models.task_modules.samplers import SamplingResult
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmpose6d import geometry as g


def _sampling_result(golden, faces, num_neg=4):
    """Positives = the golden boxes (one per gt), plus far-away negatives."""
    boxes = torch.tensor(golden['box'][faces], dtype=torch.float32)
    negatives = torch.tensor([[0, 0, 10, 10]], dtype=torch.float32).repeat(num_neg, 1)
    priors = torch.cat([boxes, negatives])
    num_pos = len(faces)
    assign = AssignResult(num_pos, torch.cat([torch.arange(1, num_pos + 1),
                                              torch.zeros(num_neg, dtype=torch.long)]),
                          torch.ones(len(priors)), torch.cat([
                              torch.zeros(num_pos, dtype=torch.long),
                              torch.full((num_neg, ), -1)]))
    return SamplingResult(torch.arange(num_pos), torch.arange(num_pos, len(priors)), priors,
                          boxes, assign, torch.zeros(len(priors), dtype=torch.uint8))


def _inputs(golden, faces, img_wh):
    gt = InstanceData(poses=torch.tensor(golden['global_from_local'][faces],
                                         dtype=torch.float32))
    meta = dict(img_shape=(int(img_wh[1]), int(img_wh[0])))
    return _sampling_result(golden, faces), gt, meta


def _normalised(head, local):
    return head.pose_coder.normalize(torch.as_tensor(local, dtype=torch.float32))


@pytest.mark.parametrize('face', [0, 3, 8, 42])
def test_targets_are_golden_local_poses(pose_head, golden, face):
    """Predicting the golden local pose of each gt's own box gives zero pose losses, and an
    offset of d in normalised units gives loss_dof = |d|^2 (sum over 6, mean over RoIs)."""
    res, gt, meta = _inputs(golden, [face], golden['img_wh'][face])
    exact = _normalised(pose_head, golden['local_from_global'][[face]])
    losses = pose_head.loss_and_target(exact, [res], [gt], [meta])
    assert losses['loss_dof'].item() < 1e-6
    assert losses['loss_points'].item() < 1e-3
    offset = torch.tensor([[0.5, 0.0, 0.0, 0.0, 0.0, 1.0]])
    losses = pose_head.loss_and_target(exact + offset, [res], [gt], [meta])
    assert losses['loss_dof'].item() == pytest.approx(1.25, abs=1e-4)


def test_points_loss_is_l1_of_projected_reference(pose_head, golden):
    face = 5
    res, gt, meta = _inputs(golden, [face], golden['img_wh'][face])
    target = golden['local_from_global'][[face]]
    pred = target.copy()
    pred[0, 3] += 0.02  # shift x: every projected point moves by s * 0.02 / z
    losses = pose_head.loss_and_target(_normalised(pose_head, pred), [res], [gt], [meta])
    box = golden['box'][face]
    k_local = g.local_intrinsics(box[None])[0]
    expected = np.abs(
        g.project_points(golden['ref5'], pred, k_local) -
        g.project_points(golden['ref5'], target, k_local)).mean()
    assert losses['loss_points'].item() == pytest.approx(expected, rel=1e-3)


def test_batched_images(pose_head, golden):
    """Two images of different sizes in one batch: each positive uses its own image's
    camera, and exact predictions give zero pose losses."""
    res_a, gt_a, meta_a = _inputs(golden, [0], golden['img_wh'][0])
    res_b, gt_b, meta_b = _inputs(golden, [9], golden['img_wh'][9])
    assert (golden['img_wh'][0] != golden['img_wh'][9]).any()
    exact = _normalised(pose_head, golden['local_from_global'][[0, 9]])
    losses = pose_head.loss_and_target(exact, [res_a, res_b], [gt_a, gt_b], [meta_a, meta_b])
    assert losses['loss_dof'].item() < 1e-6
    swapped = pose_head.loss_and_target(exact, [res_a, res_b], [gt_a, gt_b], [meta_b, meta_a])
    assert swapped['loss_dof'].item() > 1e-3


def test_losses_under_autocast_are_the_float32_losses(pose_head, golden):
    """--amp: the head's output may be bfloat16 / float16, but the pose losses (projections
    with focal lengths of hundreds of pixels) run in float32 with autocast off."""
    faces = [0, 9]
    res_a, gt_a, meta_a = _inputs(golden, faces[:1], golden['img_wh'][0])
    res_b, gt_b, meta_b = _inputs(golden, faces[1:], golden['img_wh'][9])
    pred = golden['local_from_global'][faces].copy()
    pred[:, 3] += 0.02
    low = _normalised(pose_head, pred).bfloat16()
    args = ([res_a, res_b], [gt_a, gt_b], [meta_a, meta_b])
    reference = pose_head.loss_and_target(low.float(), *args)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = pose_head.loss_and_target(low, *args)
    for key in ('loss_dof', 'loss_points'):
        assert losses[key].dtype == torch.float32 and torch.isfinite(losses[key])
        assert losses[key].item() == pytest.approx(reference[key].item(), rel=1e-6), key


def test_no_positives_gives_zero_pose_losses(pose_head, golden):
    res = _sampling_result(golden, [], num_neg=3)
    gt = InstanceData(poses=torch.zeros(0, 6))
    losses = pose_head.loss_and_target(torch.zeros(0, 6, requires_grad=True), [res], [gt],
                                       [dict(img_shape=(100, 100))])
    assert losses['loss_dof'].item() == 0 and losses['loss_points'].item() == 0
    losses['loss_dof'].backward()


def _predict(pose_head, boxes, scores, local, meta, iou_threshold=0.5, **kwargs):
    cfg = ConfigDict(score_thr=0.05, nms=dict(type='nms', iou_threshold=iou_threshold),
                     max_per_img=-1)
    proposals = InstanceData(bboxes=torch.as_tensor(boxes, dtype=torch.float32),
                             scores=torch.as_tensor(scores),
                             labels=torch.zeros(len(boxes), dtype=torch.long))
    results, = pose_head.predict_by_feat((_normalised(pose_head, local), ), [proposals], [meta],
                                         cfg, **kwargs)
    return results


def test_predict_gives_golden_global_pose_and_projected_box(pose_head, golden):
    """Post-processing: de-normalise, local -> global with the proposal, box from pose."""
    faces = [i for i in range(len(golden['box'])) if
             (golden['img_wh'][i] == golden['img_wh'][0]).all()]
    w, h = golden['img_wh'][0].astype(int)
    scores = torch.linspace(0.9, 0.5, len(faces))
    result = _predict(pose_head, golden['box'][faces], scores, golden['local_pose'][faces],
                      dict(img_shape=(h, w), ori_shape=(h, w)), iou_threshold=1.0)
    assert len(result) == len(faces)
    torch.testing.assert_close(result.scores, scores)  # best first: the input order
    np.testing.assert_allclose(result.poses.numpy(), golden['global_from_local'][faces],
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(result.bboxes.numpy(), golden['proj_box'][faces])
    assert result.bboxes.dtype == torch.float32 and result.labels.dtype == torch.long


def test_predict_nms_uncapped_and_rescale(pose_head, golden):
    face = 0
    w, h = golden['img_wh'][face].astype(int)
    boxes = golden['box'][[face]].repeat(3, 0)
    local = golden['local_pose'][[face]].repeat(3, 0)
    local[1, 5] *= 1.01  # a near-duplicate: NMS on the projected boxes removes it
    local[2, 3] += 3.0  # far to the side: kept
    meta = dict(img_shape=(h, w), ori_shape=(2 * h, 2 * w))
    result = _predict(pose_head, boxes, torch.tensor([0.9, 0.8, 0.7]), local, meta,
                      rescale=True)
    assert len(result) == 2 and result.scores.tolist() == pytest.approx([0.9, 0.7])
    # rescaled as the original: the network input's boxes times the size ratios (2, 2)
    poses = result.poses.double().numpy()
    in_input = g.pose_to_bbox(poses, np.array([w, h], np.float64), golden['ref68'])
    np.testing.assert_array_equal(result.bboxes.numpy(), 2 * in_input)
    np.testing.assert_array_equal(result.bboxes.numpy()[0], 2 * golden['proj_box'][face])
    # the poses and euler stay in the network input's camera; the landmarks are scaled alike
    k_input = g.image_intrinsics(w, h)
    np.testing.assert_allclose(result.euler.numpy(), g.rotvec_to_euler(poses[:, :3]),
                               atol=1e-3)
    for field, ref in (('landmarks', golden['ref68']), ('landmarks5', golden['ref5'])):
        np.testing.assert_allclose(getattr(result, field).numpy(),
                                   2 * g.project_points(ref, poses, k_input), atol=1e-3)


@pytest.mark.parametrize('num_pos', [0, 1])
def test_pose_branch_trains_on_fewer_than_two_positives(pose_head, num_pos):
    """One face in a batch: BatchNorm uses its running statistics instead of failing, and
    the gradient still reaches the branch."""
    pose_head.train()
    feats = torch.randn(num_pos, 256, 7, 7, requires_grad=True)
    out = pose_head(feats)
    assert out.shape == (num_pos, 6) and pose_head.pose_pred[1].training
    out.sum().backward()
    assert feats.grad.shape == (num_pos, 256, 7, 7)
    assert pose_head(torch.randn(4, 256, 7, 7)).shape == (4, 6)


def test_every_step_runs_on_the_inputs_device(pose_head, monkeypatch):
    """Post-processing, the per-face outputs, the rescale and the losses make their tensors on
    the inputs' device: on PyTorch's ``meta`` device, which refuses CPU tensors as CUDA does
    (mmcv's NMS has no meta kernel: it keeps every box here)."""
    from mmpose6d.models.roi_heads.pose_heads import pose_head as module
    monkeypatch.setattr(module, 'batched_nms',
                        lambda boxes, *args: (None, torch.arange(len(boxes), device=boxes.device)))
    head = pose_head.to('meta').eval()
    proposals = torch.zeros(5, 4, device='meta')
    poses = torch.zeros(5, 6, device='meta')
    labels = torch.zeros(5, dtype=torch.long, device='meta')
    meta = dict(img_shape=(480, 640), ori_shape=(960, 1280))
    cfg = ConfigDict(nms=dict(type='nms', iou_threshold=0.5), max_per_img=-1)
    result, = head.predict_by_feat(
        (poses, ), [InstanceData(bboxes=proposals, scores=torch.zeros(5, device='meta'),
                                 labels=labels)], [meta], cfg, rescale=True)
    for key in ('bboxes', 'poses', 'euler', 'landmarks', 'landmarks5'):
        assert result[key].device.type == 'meta', key
    head.train()
    sampling = SimpleNamespace(pos_priors=proposals[:3], pos_assigned_gt_inds=labels[:3],
                               pos_gt_labels=labels[:3])
    losses = head.loss_and_target(poses[:3], [sampling],
                                  [InstanceData(poses=poses[:2])], [meta])
    assert losses['loss_dof'].device.type == losses['loss_points'].device.type == 'meta'


def test_losses_come_from_the_config(pose_head, golden):
    """``loss_dof`` / ``loss_points`` are mmdet's losses built from the config; their
    ``loss_weight`` scales each."""
    from mmpose6d.registry import MODELS
    res, gt, meta = _inputs(golden, [5], golden['img_wh'][5])
    pred = golden['local_from_global'][[5]].copy()
    pred[0, 3] += 0.02
    pred = _normalised(pose_head, pred)
    losses = pose_head.loss_and_target(pred, [res], [gt], [meta])
    pose_head.loss_dof = MODELS.build(dict(type='mmdet.MSELoss', loss_weight=2.0))
    pose_head.loss_points = MODELS.build(dict(type='mmdet.L1Loss', loss_weight=0.5))
    weighted = pose_head.loss_and_target(pred, [res], [gt], [meta])
    assert weighted['loss_dof'].item() == pytest.approx(2 * losses['loss_dof'].item())
    assert weighted['loss_points'].item() == pytest.approx(0.5 * losses['loss_points'].item())


def test_checkpoints_keep_the_statistics_under_the_head(pose_head):
    """The coder's statistics are saved and loaded as ``pose_mean`` / ``pose_stddev`` of the
    head, the names of every checkpoint so far (converted ones included)."""
    state = pose_head.state_dict()
    assert {'pose_mean', 'pose_stddev', 'reference68', 'reference5'} <= set(state)
    assert not any(key.startswith('pose_coder.') for key in state)
    state['pose_mean'] = torch.arange(6.0)
    pose_head.load_state_dict(state)
    assert pose_head.pose_coder.pose_mean.tolist() == list(range(6))
    assert torch.equal(pose_head.state_dict()['pose_mean'], torch.arange(6.0))


def test_face_model_is_the_heads_references(pose_head, golden):
    face = pose_head.face_model
    assert face.reference68 is pose_head.reference68 and face.reference5 is pose_head.reference5
    assert face.box_factors == dict(x_factor=1.1, y_factor=1.1, forehead=0.3)
    pose_head.reference68.mul_(2)  # e.g. loaded from a checkpoint
    torch.testing.assert_close(pose_head.face_model.reference68,
                               torch.tensor(2 * golden['ref68'], dtype=torch.float32))


def test_deprecated_arguments_warn_and_still_work(golden):
    from mmengine.registry import init_default_scope

    from mmpose6d.registry import MODELS
    init_default_scope('mmpose6d')
    with pytest.warns(UserWarning, match='pose_mean is deprecated, set pose_coder.pose_mean'):
        head = MODELS.build(dict(type='PoseHead', pose_mean=[0.0] * 6, pose_stddev=[2.0] * 6,
                                 reference68=golden['ref68'], expand_forehead=0.5,
                                 loss_points_weight=3.0))
    assert head.pose_coder.pose_stddev.tolist() == [2.0] * 6
    np.testing.assert_allclose(head.reference68.numpy(), golden['ref68'], rtol=1e-6)
    assert head.box_factors['forehead'] == 0.5 and head.loss_points.loss_weight == 3.0
    with pytest.raises(TypeError, match='unexpected arguments'):
        MODELS.build(dict(type='PoseHead', pose_coder=dict(type='LocalPoseCoder',
                                                           pose_mean=[0] * 6, pose_stddev=[1] * 6),
                          bbox_factor=1.2))
