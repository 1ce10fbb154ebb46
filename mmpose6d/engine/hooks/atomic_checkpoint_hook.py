"""mmengine's CheckpointHook writing local checkpoints atomically."""
import glob
import logging
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmpose6d.engine.atomic_backend import ATOMIC_BACKEND_ARGS, temporary_path
from mmpose6d.registry import HOOKS


class _DropMessages(logging.Filter):
    """Drops the log records that contain any of ``fragments``."""

    def __init__(self, *fragments):
        super().__init__()
        self.fragments = fragments

    def filter(self, record):
        return not any(f in record.getMessage() for f in self.fragments)


#: what mmengine logs each time its CheckpointHook and save_checkpoint build the FileClient
#: they keep only for backward compatibility (unused without ``file_client_args``)
FILE_CLIENT_DEPRECATIONS = ('"FileClient" will be deprecated',
                            '"HardDiskBackend" is the alias of "LocalBackend"')


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """:class:`~mmengine.hooks.CheckpointHook` whose local checkpoints are written whole or
    not at all (:class:`~mmpose6d.engine.atomic_backend.AtomicLocalBackend`): a run killed
    while saving keeps the previous checkpoints intact and leaves no partial ``.pth`` under a
    real name, so ``--resume`` continues from the last complete one.

    Takes :class:`CheckpointHook`'s arguments; with ``backend_args`` or ``file_client_args``
    given, or an ``out_dir`` on another storage, it behaves as CheckpointHook. Temporary files
    left by a killed run are removed (and logged) before training starts. Without
    ``file_client_args``, mmengine's deprecation warnings about the FileClient it builds
    anyway (at the start and at every save) are not logged during the run: nothing uses it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._quiet = _DropMessages(*FILE_CLIENT_DEPRECATIONS)

    def before_train(self, runner):
        out_dir = self.out_dir if self.out_dir is not None else runner.work_dir
        local = '://' not in str(out_dir)
        if local and self.backend_args is None and self.file_client_args is None:
            self.backend_args = dict(ATOMIC_BACKEND_ARGS)
        if self.file_client_args is None:
            runner.logger.addFilter(self._quiet)
        super().before_train(runner)
        if self.backend_args == ATOMIC_BACKEND_ARGS and is_main_process():
            for leftover in glob.glob(temporary_path(osp.join(self.out_dir, '*.pth'))):
                os.remove(leftover)
                runner.logger.warning(f'removed {leftover}, a checkpoint an interrupted run '
                                      'was still writing')

    def after_run(self, runner):
        super().after_run(runner)
        runner.logger.removeFilter(self._quiet)
