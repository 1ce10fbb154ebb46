"""mmpose6d.utils.checkpoint_fit: a checkpoint against the model's state dict."""
from collections import OrderedDict

import pytest
import torch
from torch import nn

from mmpose6d.utils.checkpoint import CheckpointError
from mmpose6d.utils.checkpoint_fit import check_fits_model, load_model_checkpoint


class Head(nn.Module):
    config_buffers = ('mean', )

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.norm = nn.BatchNorm1d(2)
        self.register_buffer('mean', torch.zeros(2))


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(4, 3)
        self.head = Head()


def test_check_fits_model():
    model = Net()
    state = OrderedDict(model.state_dict())
    check_fits_model(model, state, 'full.pth')
    # the config buffer and BatchNorm's counter may be missing
    lenient = {k: v for k, v in state.items()
               if k not in ('head.mean', 'head.norm.num_batches_tracked')}
    check_fits_model(model, lenient, 'converted.pth')

    broken = {k: v for k, v in state.items() if k != 'head.fc.bias'}
    broken['head.extra'] = torch.zeros(1)
    broken['backbone.weight'] = torch.zeros(3, 5)
    with pytest.raises(CheckpointError) as error:
        check_fits_model(model, broken, 'other.pth')
    message = str(error.value)
    assert message.startswith('other.pth: does not fit the model')
    assert '1 missing: head.fc.bias' in message and '1 unexpected: head.extra' in message
    assert 'backbone.weight: checkpoint (3, 5), model (3, 4)' in message

    original = {f'backbone.body.layer{i}.weight': torch.zeros(1) for i in range(9)}
    with pytest.raises(CheckpointError) as error:
        check_fits_model(model, original, 'img2pose_v1.pth')
    assert '(4 more)' in str(error.value) and 'img2pose_to_mmpose6d.py' in str(error.value)


def test_load_model_checkpoint_strips_module_prefix(tmp_path):
    source, target = Net(), Net()
    torch.save(dict(state_dict={f'module.{k}': v for k, v in source.state_dict().items()}),
               tmp_path / 'ddp.pth')
    load_model_checkpoint(target, tmp_path / 'ddp.pth')
    torch.testing.assert_close(target.backbone.weight, source.backbone.weight)
