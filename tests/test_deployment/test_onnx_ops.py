"""The exportable NMS / RoIAlign / geometry of ``mmpose6d.deployment`` against mmcv and
``mmpose6d.geometry``, in PyTorch and through onnxruntime."""
import io
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from mmcv.ops import nms as mmcv_nms
from mmcv.ops import roi_align as mmcv_roi_align

from mmpose6d import geometry as g
from mmpose6d.deployment import nms, roi_align_boxes

REF68 = np.load(Path(__file__).resolve().parents[2] / 'pose_references' /
                'ref68.npy')


class _Ops(torch.nn.Module):

    def forward(self, boxes, scores, feats, rois):
        return (nms(boxes, scores, 0.5, 100),
                roi_align_boxes(feats, rois, 7, 0.25, 2))


def _random_inputs(seed, num_boxes=400, num_rois=300):
    gen = torch.Generator().manual_seed(seed)
    xy = torch.rand(num_boxes, 2, generator=gen) * 300
    wh = torch.rand(num_boxes, 2, generator=gen) * 60 + 1
    boxes = torch.cat([xy, xy + wh], 1).round()  # integer boxes: exact IoU = 0.5 happens
    boxes[:10] = boxes[10:20]  # duplicates
    scores = torch.rand(num_boxes, generator=gen)
    feats = torch.randn(1, 16, 50, 70, generator=gen)
    xy = torch.rand(num_rois, 2, generator=gen) * 320 - 20  # some outside the map
    wh = torch.rand(num_rois, 2, generator=gen) * 120
    rois = torch.cat([xy, xy + wh], 1)
    rois[:8, 2:] = rois[:8, :2] + 0.3  # smaller than one cell: clamped to 1 (aligned=False)
    return boxes, scores, feats, rois


def _session(opset):
    f = io.BytesIO()
    torch.onnx.export(_Ops(), _random_inputs(0), f, opset_version=opset, dynamo=False,
                      input_names=['boxes', 'scores', 'feats', 'rois'],
                      output_names=['keep', 'roi_feats'],
                      dynamic_axes=dict(boxes=[0], scores=[0], rois=[0]))
    return ort.InferenceSession(f.getvalue(), providers=['CPUExecutionProvider'])


@pytest.mark.parametrize('opset', [11, 13, 17])
def test_nms_and_roi_align_match_mmcv_in_onnxruntime(opset):
    """RoiAlign-10 and -16 (output_half_pixel) and NonMaxSuppression equal mmcv's kernels,
    with a dynamic number of boxes, empty inputs included."""
    session = _session(opset)
    for seed, sizes in ((1, (400, 300)), (2, (37, 5)), (3, (0, 0))):
        boxes, scores, feats, rois = _random_inputs(seed, *sizes)
        keep, roi_feats = session.run(None, dict(boxes=boxes.numpy(), scores=scores.numpy(),
                                                 feats=feats.numpy(), rois=rois.numpy()))
        expected_keep = mmcv_nms(boxes, scores, 0.5)[1][:100]
        np.testing.assert_array_equal(keep, expected_keep.numpy())
        full = torch.cat([torch.zeros(len(rois), 1), rois], 1)
        expected = mmcv_roi_align(feats, full, 7, 0.25, 2, 'avg', False)
        np.testing.assert_allclose(roi_feats, expected.numpy(), rtol=0, atol=1e-5)
        keep_t, feats_t = _Ops()(boxes, scores, feats, rois)  # PyTorch path = mmcv
        assert torch.equal(keep_t, expected_keep) and torch.equal(feats_t, expected)


def test_exact_half_iou_is_kept_like_mmcv():
    """IoU exactly 0.5 does not suppress (strict >), in mmcv and onnxruntime alike."""
    boxes = torch.tensor([[0, 0, 10, 10], [0, 0, 10, 20], [0, 0, 10, 5.]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    inputs = dict(boxes=boxes.numpy(), scores=scores.numpy(),
                  feats=np.zeros((1, 16, 50, 70), np.float32), rois=np.zeros((0, 4), np.float32))
    keep = _session(17).run(['keep'], inputs)[0]
    assert keep.tolist() == [0, 1, 2] == mmcv_nms(boxes, scores, 0.5)[1].tolist()


def _poses_and_boxes(rng, num, width, height):
    x1 = rng.uniform(-20, width - 20, num)
    y1 = rng.uniform(-20, height - 20, num)
    size = rng.uniform(8, 200, (num, 2))
    boxes = np.c_[x1, y1, x1 + size[:, 0], y1 + size[:, 1]]
    local = np.c_[rng.normal(0, 0.4, (num, 3)), rng.normal(0, 0.1, (num, 2)),
                  rng.uniform(3, 10, num)]
    local[:8, 2] = [2.6, -2.6, 1.2, -1.2, 0.0, 3.0, -3.0, 0.5]  # every forehead side
    return local, boxes


def test_library_geometry_exports_to_onnx(tmp_path):
    """local -> global pose and box from pose, as the exported graph runs them: onnxruntime
    gives the library's numbers (every forehead side and border clipping included)."""
    rng = np.random.default_rng(0)
    width, height = 333, 250
    local, boxes = _poses_and_boxes(rng, 300, width, height)
    ref = torch.tensor(REF68, dtype=torch.float32)

    class Geometry(torch.nn.Module):
        def forward(self, poses, rois):
            image_wh = poses.new_tensor([width, height])
            glob = g.pose_bbox_to_full_image(poses, image_wh, rois)
            return glob, g.pose_to_bbox(glob, image_wh, ref)

    inputs = (torch.tensor(local, dtype=torch.float32), torch.tensor(boxes, dtype=torch.float32))
    expected = Geometry()(*inputs)
    path = tmp_path / 'geometry.onnx'
    torch.onnx.export(Geometry(), inputs, str(path), opset_version=17, dynamo=False,
                      input_names=['poses', 'rois'], dynamic_axes={'poses': [0], 'rois': [0]})
    session = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    poses, out = session.run(None, {'poses': inputs[0].numpy(), 'rois': inputs[1].numpy()})
    np.testing.assert_allclose(poses, expected[0].numpy(), rtol=1e-5, atol=1e-5)
    assert np.abs(out - expected[1].numpy()).max() <= 1
    assert (out == expected[1].numpy()).mean() > 0.99
