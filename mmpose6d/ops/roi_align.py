"""RoIAlign on a multi-threaded CPU kernel, with mmcv's arguments and numbers.

mmcv 2.1.0's CPU RoIAlign is single-threaded and its backward recomputes every bilinear
weight per channel: about a third of an img2pose train step on CPU. ``mmpose6d._ext``
(``csrc/roi_align_cpu.cpp``, compiled by ``pip install -e .``) computes each RoI's samples
once, reads and writes the maps channels-last, vectorised over channels, pools the RoIs of
every pyramid level in one pass and runs on PyTorch's threads, with mmcv's order of
operations: outputs and gradients are bit-identical to mmcv's. CUDA tensors and ``pool_mode='max'``
use mmcv's kernels; bfloat16 features (and float16 ones on CPU), which no kernel takes, are
pooled in float32.
"""
import torch
from mmcv.ops import RoIAlign as MMCVRoIAlign
from mmcv.ops import roi_align as mmcv_roi_align
from mmengine.logging import print_log
from torch.autograd import Function
from torch.autograd.function import once_differentiable
from torch.nn.modules.utils import _pair

from .compiled import ext

_CPU_DTYPES = (torch.float32, torch.float64)
_warned_missing_ext = False


class _RoIAlignCPU(Function):
    """The RoIs of every level pooled in one pass, and their gradients scattered in one."""

    @staticmethod
    def forward(ctx, rois, levels, output_size, spatial_scales, sampling_ratio, aligned,
                *inputs):
        rois = rois.to(inputs[0].dtype)
        ctx.save_for_backward(rois, levels)
        ctx.input_shapes = [list(input.shape) for input in inputs]
        # each gradient comes back in its input's memory format
        ctx.channels_last = [
            input.is_contiguous(memory_format=torch.channels_last) and not input.is_contiguous()
            for input in inputs
        ]
        ctx.params = (list(spatial_scales), sampling_ratio, aligned)
        return ext.roi_align_forward(list(inputs), rois, levels, output_size[0],
                                     output_size[1], list(spatial_scales), sampling_ratio,
                                     aligned)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        rois, levels = ctx.saved_tensors
        grads = ext.roi_align_backward(grad_output, rois, levels, ctx.input_shapes,
                                       *ctx.params)
        grad_inputs = [
            None if not needed else
            grad.permute(0, 3, 1, 2) if channels_last else grad.permute(0, 3, 1, 2).contiguous()
            for grad, channels_last, needed in zip(grads, ctx.channels_last,
                                                   ctx.needs_input_grad[6:])
        ]
        return (None, ) * 6 + tuple(grad_inputs)


def _use_ext(device, dtype, pool_mode):
    global _warned_missing_ext
    if device.type != 'cpu' or pool_mode != 'avg' or dtype not in _CPU_DTYPES:
        return False
    if ext is None and not _warned_missing_ext:
        _warned_missing_ext = True
        print_log('mmpose6d._ext is not compiled: RoIAlign runs on mmcv\'s single-threaded '
                  'CPU kernel (several times slower). Run `bash tools/install.sh`.',
                  logger='current', level=30)
    return ext is not None


def roi_align(input, rois, output_size, spatial_scale=1.0, sampling_ratio=0,
              pool_mode='avg', aligned=True):
    """``mmcv.ops.roi_align``: features (B,C,H,W) in any memory format, rois (N,5)
    ``[batch, x1, y1, x2, y2]`` -> (N, C, *output_size); CPU average pooling runs on
    ``mmpose6d._ext``."""
    if input.dtype == torch.bfloat16 or (input.dtype == torch.float16
                                         and input.device.type == 'cpu'):
        # no kernel has these (mmcv's CUDA kernels have float16, none has bfloat16), as
        # autocast gives them: pooled in float32, returned in the features' dtype
        return roi_align(input.float(), rois.float(), output_size, spatial_scale,
                         sampling_ratio, pool_mode, aligned).to(input.dtype)
    if _use_ext(input.device, input.dtype, pool_mode):
        levels = rois.new_zeros(len(rois), dtype=torch.long)
        return _RoIAlignCPU.apply(rois, levels, _pair(output_size), [float(spatial_scale)],
                                  int(sampling_ratio), bool(aligned), input)
    # mmcv's kernels read the features as NCHW-contiguous: channels-last ones (see
    # Img2Pose's ``channels_last``) would be pooled from the wrong memory
    return mmcv_roi_align(input.contiguous(), rois, output_size, spatial_scale,
                          sampling_ratio, pool_mode, aligned)


def multi_level_roi_align(feats, rois, levels, layers):
    """RoI features (N, C, *output_size) of ``rois`` (N, 5), each pooled from
    ``feats[levels[i]]`` by ``layers[levels[i]]`` (:class:`RoIAlign`) in one pass of
    ``mmpose6d._ext``: what pooling level by level gives, bit for bit, without the
    per-level copies. None where the kernel does not apply (layers that differ in more
    than their scale, max pooling, non-CPU features, no compiled kernel): pool level by
    level then. bfloat16 features (and float16 ones on CPU) are pooled in float32, the RoIs
    kept in their own precision."""
    first = layers[0]
    same = all(isinstance(layer, RoIAlign) and not layer.use_torchvision
               and (layer.output_size, layer.sampling_ratio, layer.pool_mode, layer.aligned)
               == (first.output_size, first.sampling_ratio, first.pool_mode, first.aligned)
               for layer in layers)
    dtype = feats[0].dtype
    half = dtype == torch.bfloat16 or dtype == torch.float16
    if not same or not _use_ext(feats[0].device, torch.float32 if half else dtype,
                                first.pool_mode):
        return None
    inputs = [feat.float() for feat in feats] if half else list(feats)
    pooled = _RoIAlignCPU.apply(rois.to(inputs[0].dtype), levels.long(),
                                _pair(first.output_size),
                                [float(layer.spatial_scale) for layer in layers],
                                int(first.sampling_ratio), bool(first.aligned), *inputs)
    return pooled.to(dtype)


class RoIAlign(MMCVRoIAlign):
    """``mmcv.ops.RoIAlign`` (same arguments) running :func:`roi_align`."""

    def forward(self, input, rois):
        if self.use_torchvision:
            return super().forward(input, rois)
        return roi_align(input, rois, self.output_size, self.spatial_scale,
                         self.sampling_ratio, self.pool_mode, self.aligned)
