"""The ``atomic_local`` file backend: mmengine's local storage writing each file whole or not
at all, so a run killed while saving a checkpoint leaves no partial file under its name.

Registered with mmengine's ``register_backend`` when ``mmpose6d.engine`` is imported: the
configs' ``custom_imports`` import it, so ``backend_args=dict(backend='atomic_local')`` works
wherever a config is loaded. ``import mmpose6d`` alone does not: the package imports without
mmdet (``mmpose6d.synthesis`` needs that), the engine's hooks do not.
"""
import os
import os.path as osp

from mmengine.fileio import LocalBackend, register_backend


def temporary_path(path):
    """The name :class:`AtomicLocalBackend` writes ``path`` under before renaming it."""
    folder, name = osp.split(path)
    return osp.join(folder, f'.{name}.tmp')


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend writing each file whole or not at all: the bytes go to a
    hidden temporary file in the same folder (:func:`temporary_path`), are flushed to disk
    and renamed over the real name, so a process killed while writing never leaves a partial
    file under it."""

    def put(self, obj, filepath):
        filepath = str(filepath)
        os.makedirs(osp.dirname(osp.abspath(filepath)), exist_ok=True)
        temporary = temporary_path(filepath)
        try:
            with open(temporary, 'wb') as file:
                file.write(obj)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, filepath)
        finally:
            if osp.exists(temporary):
                os.remove(temporary)

    def put_text(self, obj, filepath, encoding='utf-8'):
        self.put(obj.encode(encoding), filepath)


#: ``backend_args`` selecting :class:`AtomicLocalBackend`
ATOMIC_BACKEND_ARGS = dict(backend='atomic_local')
