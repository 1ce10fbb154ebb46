"""RandomStateHook: the random states survive a weights_only checkpoint round trip, a
validation leaves them as it found them, and only a resume restores them."""
import random
from types import SimpleNamespace

import numpy as np
import torch

from mmpose6d.engine.hooks import RandomStateHook
from mmpose6d.engine.hooks.random_state_hook import get_random_states, set_random_states


def _draws():
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def _seed(seed):
    random.seed(seed), np.random.seed(seed), torch.manual_seed(seed)


def _runner(iter=0, epoch=0):
    return SimpleNamespace(iter=iter, epoch=epoch,
                           logger=SimpleNamespace(info=lambda message: None))


def test_states_round_trip_through_a_weights_only_load(tmp_path):
    _seed(1)
    np.random.randn()  # a cached Gaussian is part of numpy's state
    torch.save(dict(random_states=get_random_states()), tmp_path / 'states.pth')
    expected = _draws()
    _seed(0)
    set_random_states(torch.load(tmp_path / 'states.pth', weights_only=True)['random_states'])
    assert _draws() == expected


def test_validation_changes_no_training_draw():
    hook = RandomStateHook()
    _seed(5)
    expected = _draws()
    _seed(5)
    hook.before_val(_runner())
    checkpoint = {}
    _draws()  # the validation's own draws
    hook.before_save_checkpoint(_runner(), checkpoint)  # the best checkpoint, saved in val
    hook.after_val(_runner())
    assert _draws() == expected
    _seed(7)
    set_random_states(checkpoint['random_states'])
    assert _draws() == expected


def test_only_a_resume_restores_the_states():
    hook = RandomStateHook()
    saved = {}
    hook.before_save_checkpoint(_runner(), saved)
    expected = _draws()
    for runner, restored in ((_runner(), False), (_runner(iter=6), True)):
        hook.after_load_checkpoint(runner, saved)
        hook.before_train_epoch(runner)
        assert (_draws() == expected) == restored
        hook.before_train_epoch(runner)  # once, at the first epoch after the resume
        assert _draws() != expected
