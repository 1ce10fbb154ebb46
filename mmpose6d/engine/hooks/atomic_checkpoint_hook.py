"""mmengine's CheckpointHook writing local checkpoints atomically."""
import glob
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmpose6d.registry import HOOKS
from mmpose6d.utils.checkpoint import ATOMIC_BACKEND_ARGS, temporary_path


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """:class:`~mmengine.hooks.CheckpointHook` whose local checkpoints are written whole or
    not at all (:class:`~mmpose6d.utils.checkpoint.AtomicLocalBackend`): a run killed while
    saving keeps the previous checkpoints intact and leaves no partial ``.pth`` under a real
    name, so ``--resume`` continues from the last complete one.

    Takes :class:`CheckpointHook`'s arguments; with ``backend_args`` or ``file_client_args``
    given, or an ``out_dir`` on another storage, it behaves as CheckpointHook. Temporary files
    left by a killed run are removed (and logged) before training starts.
    """

    def before_train(self, runner):
        out_dir = self.out_dir if self.out_dir is not None else runner.work_dir
        local = '://' not in str(out_dir)
        if local and self.backend_args is None and self.file_client_args is None:
            self.backend_args = dict(ATOMIC_BACKEND_ARGS)
        super().before_train(runner)
        if self.backend_args == ATOMIC_BACKEND_ARGS and is_main_process():
            for leftover in glob.glob(temporary_path(osp.join(self.out_dir, '*.pth'))):
                os.remove(leftover)
                runner.logger.warning(f'removed {leftover}, a checkpoint an interrupted run '
                                      'was still writing')
