"""NMS and RoIAlign that run mmcv's (and mmpose6d's) kernels in PyTorch and export to
standard ONNX ops.

mmcv 2.1.0's ``nms`` has no ONNX symbolic any more: the tracer records its C++ call as
constants, silently baking one image's result into the graph. Its ``RoIAlign`` symbolic
emits ``Squeeze`` with an ``axes`` attribute (invalid from opset 13) and no
``coordinate_transformation_mode`` (from opset 16 ONNX then defaults to ``half_pixel``,
i.e. ``aligned=True``). These two functions replace them in the export: the same numbers as
mmcv in PyTorch, ``NonMaxSuppression`` / ``RoiAlign`` in ONNX, no custom op library needed.
(:func:`mmpose6d.ops.roi_align` is the training op, with mmcv's contract: (N,5) RoIs of any
image of the batch, any mode.)
"""
import torch
from mmcv.ops import nms as mmcv_nms

from mmpose6d.ops import roi_align


def _const(g, value, dtype=torch.int64):
    return g.op('Constant', value_t=torch.tensor(value, dtype=dtype))


def _unsqueeze0(g, x):
    if g.opset >= 13:
        return g.op('Unsqueeze', x, _const(g, [0]))
    return g.op('Unsqueeze', x, axes_i=[0])


class _NMS(torch.autograd.Function):

    @staticmethod
    def forward(ctx, boxes, scores, iou_threshold, max_num):
        return mmcv_nms(boxes, scores, iou_threshold)[1][:max_num]

    @staticmethod
    def symbolic(g, boxes, scores, iou_threshold, max_num):
        selected = g.op('NonMaxSuppression', _unsqueeze0(g, boxes),
                        _unsqueeze0(g, _unsqueeze0(g, scores)), _const(g, [max_num]),
                        _const(g, [iou_threshold], torch.float32))
        return g.op('Gather', selected, _const(g, 2), axis_i=1)


def nms(boxes, scores, iou_threshold, max_num):
    """Indices (K,) of the boxes (N,4) kept by greedy NMS (suppressed when IoU >
    ``iou_threshold``), by descending score, at most ``max_num``: mmcv's ``nms`` (offset 0),
    exported as ONNX ``NonMaxSuppression`` (same rule: strict ``>``, areas without +1)."""
    return _NMS.apply(boxes, scores, float(iou_threshold), int(max_num))


class _RoIAlign(torch.autograd.Function):

    @staticmethod
    def forward(ctx, feats, boxes, output_size, spatial_scale, sampling_ratio):
        rois = torch.cat([torch.zeros_like(boxes[:, :1]), boxes], 1)
        return roi_align(feats, rois, output_size, spatial_scale, sampling_ratio, 'avg', False)

    @staticmethod
    def symbolic(g, feats, boxes, output_size, spatial_scale, sampling_ratio):
        # a zero batch index per box: Shape(boxes)[:1] zeros
        num = g.op('Slice', g.op('Shape', boxes), _const(g, [0]), _const(g, [1]))
        batch_indices = g.op('ConstantOfShape', num, value_t=torch.tensor([0]))
        # output_half_pixel is RoiAlign-10's only mode (aligned=False); from 16 it is named
        mode = dict(coordinate_transformation_mode_s='output_half_pixel') \
            if g.opset >= 16 else {}
        return g.op('RoiAlign', feats, boxes, batch_indices, output_height_i=output_size,
                    output_width_i=output_size, spatial_scale_f=spatial_scale,
                    sampling_ratio_i=sampling_ratio, mode_s='avg', **mode)


def roi_align_boxes(feats, boxes, output_size, spatial_scale, sampling_ratio):
    """mmcv's ``roi_align(..., pool_mode='avg', aligned=False)`` of boxes (N,4) on the first
    image of ``feats`` -> (N, C, output_size, output_size); ONNX ``RoiAlign``
    (``output_half_pixel``: roi sizes clamped to >= 1, as mmcv's ``aligned=False``)."""
    return _RoIAlign.apply(feats, boxes, int(output_size), float(spatial_scale),
                           int(sampling_ratio))
