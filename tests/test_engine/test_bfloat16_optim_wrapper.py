"""BFloat16OptimWrapper: forward passes in bfloat16 on CPU under its context, float32 weights,
gradients and steps, 'auto' following the CPU's instructions; the CPU recipe builds it."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from torch import nn

from mmpose6d.engine.optimizers import BFloat16OptimWrapper, bfloat16_optim_wrapper

REPO = Path(__file__).resolve().parents[2]


def _wrapper(model, enabled):
    return BFloat16OptimWrapper(enabled=enabled,
                                optimizer=torch.optim.SGD(model.parameters(), lr=0.1))


@pytest.mark.parametrize('enabled, dtype', [(True, torch.bfloat16), (False, torch.float32)])
def test_forward_dtype_and_float32_update(enabled, dtype):
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    wrapper = _wrapper(model, enabled)
    before = model.weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(torch.randn(5, 4))
    assert out.dtype == dtype
    wrapper.update_params(out.float().square().sum())
    assert model.weight.dtype == torch.float32 and model.weight.grad is None  # zeroed
    assert not torch.equal(model.weight, before)
    # outside the context the model runs float32 again (validation, testing)
    assert model(torch.randn(2, 4)).dtype == torch.float32


@pytest.mark.parametrize('native', [True, False])
def test_auto_follows_the_cpu(monkeypatch, native):
    monkeypatch.setattr(bfloat16_optim_wrapper, 'native_bfloat16', lambda device: native)
    model = nn.Linear(4, 3)
    wrapper = _wrapper(model, 'auto')
    with wrapper.optim_context(model):
        out = model(torch.randn(5, 4))
    assert out.dtype == (torch.bfloat16 if native else torch.float32)
    assert wrapper.autocast_enabled('cpu') is native


def test_rejects_other_settings():
    with pytest.raises(ValueError, match="True, False or 'auto'"):
        _wrapper(nn.Linear(2, 2), 'bfloat16')


def test_cpu_recipe_builds_it():
    """The CPU recipe trains in bfloat16 where the CPU has the instructions: its
    ``optim_wrapper`` builds through mmengine in the mmpose6d scope (the model's train step
    under autocast is tested in test_img2pose.py)."""
    init_default_scope('mmpose6d')
    cfg = Config.fromfile(REPO / 'configs/img2pose/r18_fpn_rendered_cpu.py')
    model = nn.Linear(4, 3)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert isinstance(wrapper, BFloat16OptimWrapper) and wrapper.enabled == 'auto'
    assert isinstance(wrapper.optimizer, torch.optim.AdamW)
