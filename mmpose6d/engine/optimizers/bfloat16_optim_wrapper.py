"""bfloat16 mixed-precision training on CPUs, where mmengine's ``AmpOptimWrapper`` refuses to
run (it asserts a GPU)."""
import contextlib

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from mmpose6d.registry import OPTIM_WRAPPERS


def native_bfloat16(device_type):
    """Whether ``device_type`` (``'cpu'``, ``'cuda'``) computes bfloat16 in hardware: a CPU
    with AVX512-BF16 or AMX (elsewhere PyTorch emulates it, slower than float32), a CUDA
    GPU from Ampere on."""
    if device_type == 'cpu':
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    if device_type == 'cuda':
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return False


@OPTIM_WRAPPERS.register_module()
class BFloat16OptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` whose training forward passes run under ``torch.autocast`` to
    bfloat16 on the model's device, CPUs included.

    Weights, gradients and the optimizer state stay float32, and bfloat16 has float32's
    exponent range, so no loss scaling is needed (mmengine's ``AmpOptimWrapper`` scales the
    loss for float16 and runs on GPUs only). The model keeps its pose geometry and losses in
    float32 under autocast (:func:`~mmpose6d.models.roi_heads.pose_heads.pose_head.
    full_precision`). Validation and testing are not affected.

    Args:
        enabled: True, False, or ``'auto'``: on where the device computes bfloat16 in
            hardware (:func:`native_bfloat16`), float32 elsewhere.
        **kwargs: ``OptimWrapper``'s arguments (``optimizer``, ``clip_grad``, ...).
    """

    def __init__(self, enabled='auto', **kwargs):
        if enabled not in (True, False, 'auto'):
            raise ValueError(f"enabled must be True, False or 'auto', not {enabled!r}")
        super().__init__(**kwargs)
        self.enabled = enabled
        self._resolved = {}

    def autocast_enabled(self, device_type):
        """Whether forward passes on ``device_type`` run in bfloat16 (logged once)."""
        if device_type not in self._resolved:
            on = native_bfloat16(device_type) if self.enabled == 'auto' else self.enabled
            self._resolved[device_type] = on
            print_log(f'BFloat16OptimWrapper(enabled={self.enabled!r}): training forward '
                      f'passes on {device_type} in {"bfloat16" if on else "float32"}',
                      logger='current')
        return self._resolved[device_type]

    @contextlib.contextmanager
    def optim_context(self, model):
        device_type = next(model.parameters()).device.type
        with super().optim_context(model), torch.autocast(
                device_type, dtype=torch.bfloat16,
                enabled=self.autocast_enabled(device_type)):
            yield
