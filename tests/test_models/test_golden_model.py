"""The whole model against the original img2pose code (``MODEL_GOLDEN.md``), stage by stage.

Every golden file ``img2pose_model_seed*.npz`` present is checked the same way: its weights
are rebuilt from the file's rule, saved in the original layout, converted by the tool and
loaded with the WIDER config through ``init_detector`` (``golden_model.py``), with both
samplers taking every anchor and RoI (as the golden training pass did).
"""
import copy

import golden_model as gm
import numpy as np
import pytest
import torch
from golden_files import golden_arrays, golden_seeds, original_references
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import bbox2roi
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmpose6d.datasets.transforms import PoseResize, TorchvisionResize
from mmpose6d.geometry import rotvec_to_matrix

SEEDS = golden_seeds('img2pose_model')
IMAGES = range(4)
EVERYTHING = 10**9
#: the original's loss names -> ours
LOSSES = dict(loss_objectness='loss_rpn_cls', loss_rpn_box_reg='loss_rpn_bbox',
              loss_classifier='loss_cls', loss_dof_reg='loss_dof', loss_points='loss_points')
#: the original's parameter groups -> our prefixes
GROUPS = {'backbone.body': 'backbone.', 'backbone.fpn': 'neck.', 'rpn.head': 'rpn_head.',
          'roi_heads.box_head': 'roi_head.pose_head.shared_fcs.',
          'roi_heads.box_predictor': 'roi_head.pose_head.pose_pred.',
          'roi_heads.class_head': 'roi_head.bbox_head.shared_fcs.',
          'roi_heads.class_predictor': 'roi_head.bbox_head.fc_cls.'}


@pytest.fixture(scope='module', params=SEEDS, ids=lambda s: f'seed{s}')
def case(request, tmp_path_factory):
    """(golden arrays, model in eval mode, original state dict, converted checkpoint)."""
    seed = request.param
    golden = golden_arrays(f'img2pose_model_seed{seed}.npz')
    model, original, converted = gm.convert_and_load(
        golden, original_references(), seed, tmp_path_factory.mktemp(f'seed{seed}'),
        {'model.train_cfg.rpn.sampler.num': EVERYTHING,
         'model.train_cfg.rcnn.sampler.num': EVERYTHING})
    return golden, model.eval(), original, converted


def _preprocess(model, images, training=False):
    return model.data_preprocessor(dict(inputs=[i for i, _ in images],
                                        data_samples=[s for _, s in images]), training)


def _features(model, golden, i):
    data = _preprocess(model, [gm.image_sample(golden[f'img_{i}'])])
    with torch.no_grad():
        return data, model.extract_feat(data['inputs'])


def _rotation_deg(rotvecs_a, rotvecs_b):
    rel = rotvec_to_matrix(rotvecs_a.double()).transpose(1, 2) @ rotvec_to_matrix(
        rotvecs_b.double())
    cos = ((rel.diagonal(dim1=1, dim2=2).sum(-1) - 1) / 2).clamp(-1, 1)
    return torch.rad2deg(torch.arccos(cos))


def match_detections(pred, boxes, scores, dofs, box_tol=1.0):
    """One-to-one matches (ours, original) within the issue's tolerances: box ``box_tol``
    px, score 1e-3, rotation 0.2 degree, translation 1e-3 relative."""
    boxes, scores, dofs = (torch.as_tensor(a) for a in (boxes, scores, dofs))
    used, pairs = set(), []
    for j in torch.argsort(-scores).tolist():
        close = ((pred.bboxes - boxes[j]).abs().amax(-1) <= box_tol) & \
            ((pred.scores - scores[j]).abs() <= 1e-3)
        for k in close.nonzero()[:, 0].tolist():
            rot = _rotation_deg(pred.poses[k:k + 1, :3], dofs[j:j + 1, :3])[0]
            trans = (pred.poses[k, 3:] - dofs[j, 3:]).norm() / dofs[j, 3:].norm()
            if k not in used and rot <= 0.2 and trans <= 1e-3:
                used.add(k)
                pairs.append((k, j))
                break
    return pairs


def test_checkpoint_converts_and_loads(case):
    """Every original tensor lands: the converted state dict is the model's minus the four
    config buffers, and tensors whose layout changes read back as the original's."""
    _, model, original, converted = case
    state_dict = torch.load(converted, weights_only=True)['state_dict']
    config_only = {f'roi_head.pose_head.{k}'
                   for k in ('pose_mean', 'pose_stddev', 'reference68', 'reference5')}
    assert set(model.state_dict()) - set(state_dict) == config_only
    assert set(state_dict) <= set(model.state_dict()) and len(state_dict) == 141 + 20
    state = model.state_dict()
    pairs = {'roi_head.bbox_head.shared_fcs.0.weight': original['roi_heads.class_head.fc6.weight'],
             'roi_head.pose_head.shared_fcs.1.bias': original['roi_heads.box_head.fc7.bias'],
             'roi_head.bbox_head.fc_cls.weight':
                 original['roi_heads.class_predictor.cls_score.weight'][[1, 0]],
             'roi_head.pose_head.pose_pred.3.weight':
                 original['roi_heads.box_predictor.dof_pred.3.weight'][6:],
             'neck.fpn_convs.3.conv.weight': original['backbone.fpn.layer_blocks.3.weight']}
    for key, value in pairs.items():
        assert torch.equal(state[key], value), key


@pytest.mark.parametrize('i', IMAGES)
def test_anchors(case, i):
    golden, model, _, _ = case
    _, feats = _features(model, golden, i)
    assert [tuple(f.shape[-2:]) for f in feats] == [tuple(s) for s in golden[f'feat_shapes_{i}']]
    anchors = model.rpn_head.prior_generator.grid_priors([f.shape[-2:] for f in feats],
                                                         device='cpu')
    assert [len(a) for a in anchors] == golden[f'anchors_per_level_{i}'].tolist()
    for level, base in enumerate(model.rpn_head.prior_generator.base_anchors):
        np.testing.assert_array_equal(base.numpy(), golden['cell_anchors'][level])
        # the first location's anchors are the base anchors
        np.testing.assert_array_equal(anchors[level][:3].numpy(), base.numpy())


@pytest.mark.parametrize('i', IMAGES)
def test_proposals(case, i):
    """Proposals as sets (the order of near-equal logits is float noise): every box but at
    most 2 of the 1000 within 1e-3 px of one of the original's (near-tied logits at the cut
    may swap one proposal, as between the original's own 1- and 2-thread runs), scores the
    sigmoid of the matched logits."""
    golden, model, _, _ = case
    data, feats = _features(model, golden, i)
    with torch.no_grad():
        props = model.rpn_head.predict(feats, data['data_samples'], rescale=False)[0]
    assert len(props) == len(golden[f'rpn_boxes_{i}'])
    boxes = torch.as_tensor(golden[f'rpn_boxes_{i}'])
    distance = (props.bboxes[:, None] - boxes[None]).abs().amax(-1)
    nearest = distance.min(1)
    matched = nearest.values < 1e-3
    assert (~matched).sum() <= 2 and (distance.min(0).values >= 1e-3).sum() <= 2
    logits = torch.as_tensor(golden[f'rpn_scores_{i}'])[nearest.indices[matched]]
    torch.testing.assert_close(props.scores[matched], logits.sigmoid(), rtol=0, atol=1e-4)


@pytest.mark.parametrize('i', IMAGES)
def test_heads_on_stored_proposals(case, i):
    """Fed the original's proposals: the same RoI levels, class logits and raw poses."""
    golden, model, _, _ = case
    _, feats = _features(model, golden, i)
    head = model.roi_head
    rois = bbox2roi([torch.as_tensor(golden[f'rpn_boxes_{i}'])])
    with torch.no_grad():
        levels = head.bbox_roi_extractor.map_roi_levels(rois, 4)
        pooled = head._roi_feats(feats, rois)
        cls_logits = head.bbox_head(pooled)[0]
        raw_poses = head.pose_head(pooled)
    np.testing.assert_array_equal(levels.numpy(), golden[f'roi_levels_{i}'])
    stats = torch.stack([pooled.flatten(1).mean(1), pooled.flatten(1).std(1)], 1)
    np.testing.assert_allclose(stats.numpy(), golden[f'roi_pool_stats_{i}'], rtol=0, atol=1e-4)
    # ours [face, background], the original's [background, face]
    np.testing.assert_allclose(cls_logits.numpy()[:, ::-1], golden[f'cls_logits_{i}'],
                               rtol=0, atol=1e-4)
    np.testing.assert_allclose(raw_poses.numpy(), golden[f'dof_raw_{i}'][:, 6:], rtol=0,
                               atol=1e-4)


def _pose_head_outputs(model, golden, i, nms_iou):
    """The pose head's post-processing fed the original's head outputs, after the RoI
    head's selection rule (face probability > score_thr, proposals >= min_bbox_size)."""
    cfg = model.test_cfg.rcnn
    proposals = torch.as_tensor(golden[f'rpn_boxes_{i}'])
    scores = torch.as_tensor(golden[f'cls_logits_{i}']).softmax(-1)[:, 1]
    wh = proposals[:, 2:] - proposals[:, :2]
    keep = ((scores > cfg.score_thr) & (wh >= cfg.min_bbox_size).all(1)).nonzero()[:, 0]
    h, w = golden[f'img_{i}'].shape[:2]
    meta = dict(img_shape=(h, w), ori_shape=(h, w))
    test_cfg = ConfigDict(dict(cfg, nms=dict(type='nms', iou_threshold=nms_iou)))
    raw = torch.as_tensor(golden[f'dof_raw_{i}'][:, 6:])[keep]
    candidates = InstanceData(bboxes=proposals[keep], scores=scores[keep],
                              labels=torch.zeros(len(keep), dtype=torch.long))
    return keep, model.roi_head.pose_head.predict_by_feat((raw, ), [candidates], [meta],
                                                          test_cfg)[0]


@pytest.mark.parametrize('i', IMAGES)
def test_postprocessing_on_stored_head_outputs(case, i):
    """Exact candidates, projected boxes, NMS result and detections; poses to 1e-3."""
    golden, model, _, _ = case
    keep, candidates = _pose_head_outputs(model, golden, i, nms_iou=1.0)  # no suppression
    np.testing.assert_array_equal(golden[f'rpn_boxes_{i}'][keep.numpy()],
                                  golden[f'pre_nms_prop_boxes_{i}'])
    # candidates come best first; the original's pre-NMS rows are in proposal order
    order = np.argsort(-golden[f'pre_nms_scores_{i}'], kind='stable')
    np.testing.assert_array_equal(candidates.scores.numpy(), golden[f'pre_nms_scores_{i}'][order])
    np.testing.assert_array_equal(candidates.bboxes.numpy(), golden[f'pre_nms_boxes_{i}'][order])
    np.testing.assert_allclose(candidates.poses.numpy(), golden[f'pre_nms_dofs_{i}'][order],
                               rtol=0, atol=1e-3)

    _, dets = _pose_head_outputs(model, golden, i, nms_iou=model.test_cfg.rcnn.nms.iou_threshold)
    np.testing.assert_array_equal(dets.bboxes.numpy(), golden[f'det_boxes_{i}'])
    np.testing.assert_array_equal(dets.scores.numpy(), golden[f'det_scores_{i}'])
    np.testing.assert_allclose(dets.poses.numpy(), golden[f'det_dofs_{i}'], rtol=0, atol=1e-3)
    assert (dets.labels == 0).all() and (golden[f'det_labels_{i}'] == 1).all()
    kept = golden[f'pre_nms_boxes_{i}'][golden[f'nms_keep_{i}']]
    np.testing.assert_array_equal(dets.bboxes.numpy(), kept)


@pytest.mark.parametrize('i', IMAGES)
def test_end_to_end(case, i):
    """From the image through the data preprocessor and ``predict``: at least 98 % of the
    original's detections matched one to one, counts within 2 %."""
    golden, model, _, _ = case
    data = _preprocess(model, [gm.image_sample(golden[f'img_{i}'])])
    with torch.no_grad():
        pred = model.predict(data['inputs'], data['data_samples'])[0].pred_instances
    expected = len(golden[f'det_boxes_{i}'])
    assert abs(len(pred) - expected) <= 0.02 * expected
    pairs = match_detections(pred, golden[f'det_boxes_{i}'], golden[f'det_scores_{i}'],
                             golden[f'det_dofs_{i}'])
    assert len(pairs) >= 0.98 * expected


def test_training_losses_and_gradients(case):
    """One forward + backward on images 0 and 3 with the original's targets, every anchor and
    RoI sampled: the five losses, the gradient norm of each parameter group, three full
    gradients and the pose BatchNorm's running statistics."""
    golden, model, _, _ = case
    model = copy.deepcopy(model).train()
    images = [gm.image_sample(golden[f'img_{i}'], golden[f'tgt_boxes_{i}'],
                              golden[f'tgt_dofs_{i}']) for i in golden['train_img_idx']]
    data = _preprocess(model, images, training=True)
    assert list(data['inputs'].shape[-2:]) == golden['train_batch_hw'].tolist()
    losses = model.loss(data['inputs'], data['data_samples'])
    losses = {k: sum(v) if isinstance(v, list) else v for k, v in losses.items()}
    for original, ours in LOSSES.items():
        tolerance = 0.02 if original == 'loss_rpn_box_reg' else 0.005
        assert losses[ours].item() == pytest.approx(golden[f'train_losses.{original}'],
                                                    rel=tolerance), ours
    sum(losses[k] for k in LOSSES.values()).backward()

    params = dict(model.named_parameters())
    for group, prefix in GROUPS.items():
        grads = [p.grad.double() for n, p in params.items()
                 if n.startswith(prefix) and p.grad is not None]
        norm = torch.sqrt(sum((g**2).sum() for g in grads)).item()
        assert norm == pytest.approx(golden[f'grad_norms.{group}'], rel=0.01), group
    full = {'rpn.head.cls_logits.weight': params['rpn_head.rpn_cls.weight'].grad,
            'roi_heads.class_predictor.cls_score.weight':
                params['roi_head.bbox_head.fc_cls.weight'].grad[[1, 0]],
            'roi_heads.box_predictor.dof_pred.3.weight': torch.cat(
                [torch.zeros(6, 256), params['roi_head.pose_head.pose_pred.3.weight'].grad])}
    for key, grad in full.items():
        expected = torch.as_tensor(golden[f'grad.{key}'])
        assert (grad - expected).norm() <= 0.01 * expected.norm(), key
    norm = model.roi_head.pose_head.pose_pred[1]
    np.testing.assert_allclose(norm.running_mean.numpy(),
                               golden['train_dof_bn_running_mean_after'], rtol=0, atol=1e-4)
    np.testing.assert_allclose(norm.running_var.numpy(),
                               golden['train_dof_bn_running_var_after'], rtol=1e-4, atol=1e-4)
    assert (params['backbone.layer1.0.conv1.weight'].grad is None
            and params['backbone.bn1.weight'].grad is None)  # frozen as the original's


def _resized(model, golden, resize):
    """Image 0 through a resize transform to short side 800 (long side <= 1400), predicted
    in the resized frame and in the input image."""
    image = golden['img_0'][..., ::-1].copy()  # BGR, as mmdet loads it
    out = resize(dict(img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2]))
    sample = DetDataSample(metainfo=dict(img_shape=out['img_shape'], ori_shape=image.shape[:2],
                                         scale_factor=out['scale_factor']))
    inputs = torch.from_numpy(np.ascontiguousarray(out['img'].transpose(2, 0, 1)))
    data = _preprocess(model, [(inputs, sample)])
    with torch.no_grad():
        return [model.predict(data['inputs'], data['data_samples'], rescale=rescale)[0]
                .pred_instances for rescale in (False, True)], out


def test_resize_like_the_original(case):
    """``TorchvisionResize`` reproduces the original's resampling: the detections in the
    resized frame are the original's, and so are the boxes mapped back to the input image
    (``rescale=True``: scaled by the float32 size ratios, as the original)."""
    golden, model, _, _ = case
    (resized, rescaled), out = _resized(model, golden, TorchvisionResize(scale=(1400, 800)))
    assert list(out['img_shape']) == golden['rs_resized_hw'].tolist()
    expected = len(golden['rs_det_boxes'])
    assert abs(len(resized) - expected) <= 0.02 * expected
    pairs = match_detections(resized, golden['rs_det_boxes_resized_frame'],
                             golden['rs_det_scores'], golden['rs_det_dofs'])
    assert len(pairs) >= 0.98 * expected
    ours, theirs = map(torch.as_tensor, zip(*pairs))
    difference = (rescaled.bboxes[ours] - torch.as_tensor(golden['rs_det_boxes'])[theirs]).abs()
    assert (difference.amax(1) <= 1e-4).float().mean() >= 0.98
    ratios = torch.tensor([640 / 1066, 480 / 800]).repeat(2)
    torch.testing.assert_close(rescaled.landmarks5, resized.landmarks5 * ratios[:2])


def test_resize_with_mmdet(case):
    """mmdet's resize (OpenCV on uint8, size rounded to the nearest pixel: 1067 wide, not
    1066) moves the random-weight model's detections (seed 1: 368 against 356, 78 % of the
    original's with one of ours within 3 px, median score difference 0.004; documented in
    docs/img2pose_parity.md)."""
    golden, model, _, _ = case
    (_, rescaled), out = _resized(model, golden, PoseResize(scale=(1400, 800), keep_ratio=True))
    assert out['img_shape'] == (800, 1067)
    expected = len(golden['rs_det_boxes'])
    assert abs(len(rescaled) - expected) <= 0.05 * expected
    distance = (rescaled.bboxes[:, None] - torch.as_tensor(golden['rs_det_boxes'])[None]).abs()
    nearest = distance.amax(-1).min(0)
    assert (nearest.values <= 3).float().mean() >= 0.7
    scores = torch.as_tensor(golden['rs_det_scores'])
    assert (rescaled.scores[nearest.indices] - scores).abs().median() < 0.01
