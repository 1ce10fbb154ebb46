"""The main process's random states in checkpoints, so that a resumed run draws what the
uninterrupted run would."""
import random

import numpy as np
import torch
from mmengine.hooks import Hook

from mmpose6d.registry import HOOKS


def get_random_states():
    """Python's, numpy's and torch's (CPU, and CUDA once initialised) random states, as
    tensors and numbers only: a ``weights_only`` load reads them."""
    version, python_state, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    states = dict(
        python=(version, torch.tensor(python_state, dtype=torch.int64), gauss),
        numpy=(kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss),
               float(cached_gaussian)),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states['cuda'] = torch.cuda.get_rng_state_all()
    return states


def set_random_states(states):
    """Restore what :func:`get_random_states` returned."""
    version, python_state, gauss = states['python']
    random.setstate((version, tuple(python_state.tolist()), gauss))
    kind, keys, pos, has_gauss, cached_gaussian = states['numpy']
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached_gaussian))
    torch.set_rng_state(states['torch'])
    if 'cuda' in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states['cuda'])


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Continue the training's random streams across ``--resume`` and around validation.

    Each checkpoint keeps the main process's random states (``random_states``) as they are
    after its iteration or epoch; a resumed run restores them before its first training
    epoch, after mmengine has restored the seed, the sampler position and the weights.
    Validation runs on a copy of the states and gives them back untouched, so that a
    validation (the validation loss samples RoIs in train mode) changes no later training
    draw, and a run validated at other times trains the same.

    Exact for iteration-based training with data workers (``num_workers >= 1``: they are
    reseeded from the seed and replay the skipped batches) and for epoch-based training with
    ``num_workers=0`` or ``persistent_workers=False``. Not exact where the augmentations run
    elsewhere: persistent workers of an epoch-based run restart their streams at a resume,
    and with ``num_workers=0`` mmengine's iteration-based loop loads the skipped batches in
    the main process after the states are restored.
    """

    priority = 'VERY_LOW'

    def __init__(self):
        self._resumed_states = None
        self._training_states = None

    def before_save_checkpoint(self, runner, checkpoint):
        # a checkpoint saved during validation (the best one) keeps the training's states
        checkpoint['random_states'] = self._training_states or get_random_states()

    def after_load_checkpoint(self, runner, checkpoint):
        self._resumed_states = checkpoint.get('random_states')

    def before_train_epoch(self, runner):
        states, self._resumed_states = self._resumed_states, None
        if states is not None and (runner.iter > 0 or runner.epoch > 0):  # a resume
            set_random_states(states)
            runner.logger.info('Random states restored from the resumed checkpoint')

    def before_val(self, runner):
        self._training_states = get_random_states()

    def after_val(self, runner):
        set_random_states(self._training_states)
        self._training_states = None
