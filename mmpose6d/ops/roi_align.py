"""RoIAlign on a multi-threaded CPU kernel, with mmcv's arguments and numbers.

mmcv 2.1.0's CPU RoIAlign is single-threaded and its backward recomputes every bilinear
weight per channel: about a third of an img2pose train step on CPU. ``mmpose6d._ext``
(``csrc/roi_align_cpu.cpp``, compiled by ``pip install -e .``) computes each RoI's samples
once and splits the channels over PyTorch's threads, with mmcv's order of operations:
outputs and gradients are bit-identical to mmcv's. CUDA tensors and ``pool_mode='max'``
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

try:
    from mmpose6d import _ext
except ImportError:  # not compiled: mmcv's kernel, with a warning on first use
    _ext = None

_CPU_DTYPES = (torch.float32, torch.float64)
_warned_missing_ext = False


def ext_available():
    """Whether the compiled CPU kernel (``mmpose6d._ext``) can be imported."""
    return _ext is not None


class _RoIAlignCPU(Function):

    @staticmethod
    def forward(ctx, input, rois, output_size, spatial_scale, sampling_ratio, aligned):
        rois = rois.to(input.dtype)
        ctx.save_for_backward(rois)
        ctx.input_shape = tuple(input.shape)
        ctx.params = (spatial_scale, sampling_ratio, aligned)
        return _ext.roi_align_forward(input, rois, output_size[0], output_size[1],
                                      spatial_scale, sampling_ratio, aligned)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        rois, = ctx.saved_tensors
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_input = _ext.roi_align_backward(grad_output, rois, *ctx.input_shape,
                                                 *ctx.params)
        return grad_input, None, None, None, None, None


def _use_ext(input, pool_mode):
    global _warned_missing_ext
    if input.device.type != 'cpu' or pool_mode != 'avg' or input.dtype not in _CPU_DTYPES:
        return False
    if _ext is None and not _warned_missing_ext:
        _warned_missing_ext = True
        print_log('mmpose6d._ext is not compiled: RoIAlign runs on mmcv\'s single-threaded '
                  'CPU kernel (several times slower). Run `bash tools/install.sh`.',
                  logger='current', level=30)
    return _ext is not None


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
    if _use_ext(input, pool_mode):
        return _RoIAlignCPU.apply(input, rois, _pair(output_size), float(spatial_scale),
                                  int(sampling_ratio), bool(aligned))
    # mmcv's kernels read the features as NCHW-contiguous: channels-last ones (see
    # Img2Pose's ``channels_last``) would be pooled from the wrong memory
    return mmcv_roi_align(input.contiguous(), rois, output_size, spatial_scale,
                          sampling_ratio, pool_mode, aligned)


class RoIAlign(MMCVRoIAlign):
    """``mmcv.ops.RoIAlign`` (same arguments) running :func:`roi_align`."""

    def forward(self, input, rois):
        if self.use_torchvision:
            return super().forward(input, rois)
        return roi_align(input, rois, self.output_size, self.spatial_scale,
                         self.sampling_ratio, self.pool_mode, self.aligned)
