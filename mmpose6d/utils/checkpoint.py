"""Checkpoint files: safe reading and one-line errors naming a file that cannot be used.

Reading never runs code stored in a file unless asked: ``import mmpose6d`` adds exactly the
non-tensor types mmengine's training checkpoints hold (:data:`SAFE_GLOBALS`) to torch's
weights-only allow-list, so every ``torch.load(weights_only=True)`` of the process reads them
(mmengine's, mmdet's APIs and tools included), and the tools read every checkpoint weights-only
(:func:`checkpoint_loading`). Full unpickling happens only with ``trust=True`` (the tools'
``--trust-checkpoint``). Fitting a checkpoint to a model is in :mod:`.checkpoint_fit`, the
choice of the one ``--resume`` continues from in :mod:`.resume`.
"""
import os
import os.path as osp
import pickle
import pickletools
import re
import zipfile
from contextlib import contextmanager

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

TRUST_CHECKPOINT_HELP = ('unpickle checkpoints fully if they hold more than tensors and '
                         "mmengine's training state: that runs any code stored in the file, so "
                         'only for files you trust')
#: the statistics HistoryBuffer pickles as ``getattr(HistoryBuffer, name)``
HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')
_FORCE_SAFE = 'TORCH_FORCE_WEIGHTS_ONLY_LOAD'
_FORCE_UNSAFE = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'


def _history_buffer_statistic(owner, name):
    """``getattr`` for unpickling, restricted to a HistoryBuffer statistics method (its
    ``__getstate__`` stores them as ``getattr(HistoryBuffer, 'mean')`` and so on)."""
    if owner is not HistoryBuffer or name not in HISTORY_BUFFER_STATISTICS:
        raise pickle.UnpicklingError(
            f'GLOBAL builtins.getattr({getattr(owner, "__name__", owner)}, {name!r}): only '
            'getattr(HistoryBuffer, statistic) is allowed')
    return getattr(HistoryBuffer, name)


def _numpy_globals():
    """numpy's array and scalar constructors under the module names of numpy 1 and 2 (so
    checkpoints written with either load with both), arrays, and the dtypes of booleans and
    numbers (``np.dtype('f8')`` is an instance of ``numpy.dtypes.Float64DType``)."""
    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray
    pairs = []
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        pairs += [(multiarray._reconstruct, f'{module}._reconstruct'),
                  (multiarray.scalar, f'{module}.scalar')]
    codes = '?' + np.typecodes['AllInteger'] + np.typecodes['AllFloat']
    dtypes = list(dict.fromkeys(type(np.dtype(code)) for code in codes))
    return pairs + [np.ndarray, np.dtype] + [t for t in dtypes if t is not np.dtype]


#: What ``weights_only`` loading accepts beyond torch's defaults (tensors, containers,
#: ``OrderedDict``): numpy arrays, scalars and dtypes (``meta``, message-hub values such as
#: ``eta``, the log histories), mmengine's ``HistoryBuffer`` (the message hub's logs) and its
#: statistics methods.
SAFE_GLOBALS = _numpy_globals() + [
    HistoryBuffer, (_history_buffer_statistic, 'builtins.getattr')
]


def register_safe_globals():
    """Allow :data:`SAFE_GLOBALS` in every weights-only ``torch.load`` of the process (called
    by ``import mmpose6d``): none of them runs code, and without them torch >= 2.6 refuses
    every checkpoint mmengine's training writes."""
    torch.serialization.add_safe_globals(SAFE_GLOBALS)


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message names the file and the problem."""


class DamagedCheckpointError(CheckpointError):
    """A checkpoint file that is empty, truncated, corrupt or not a checkpoint at all."""


@contextmanager
def checkpoint_loading(trust=False):
    """Every ``torch.load`` inside the block reads with ``weights_only=True`` (and so
    :data:`SAFE_GLOBALS`), also where the caller passes ``weights_only=False`` as torch.hub
    does; with ``trust`` every one unpickles fully.

    These are torch's environment switches, set for the block only and restored after it.
    """
    saved = {name: os.environ.pop(name, None) for name in (_FORCE_SAFE, _FORCE_UNSAFE)}
    os.environ[_FORCE_UNSAFE if trust else _FORCE_SAFE] = '1'
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value


def _file_problem(path):
    """Why ``path`` cannot be a readable checkpoint, judged from its bytes (None: it looks
    whole), and whether it is a zip archive."""
    if not osp.exists(path):
        return 'not found', False
    if not osp.isfile(path):
        return 'not a file', False
    if osp.getsize(path) == 0:
        return 'damaged or incomplete: the file is empty', False
    with open(path, 'rb') as file:
        head = file.read(4)
    if head == b'PK\x03\x04':
        if not zipfile.is_zipfile(path):
            return ('damaged or incomplete: truncated (the zip directory at its end is '
                    'missing; was it still being written?)'), True
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            return f'damaged or incomplete: {error}', True
        return (f'damaged or incomplete: {bad} fails its checksum' if bad else None), True
    if head[:1] == b'\x80' and head[1:2] in (b'\x02', b'\x03', b'\x04', b'\x05'):
        return (None if _legacy_pickles_complete(path) else
                'damaged or incomplete: a truncated legacy (pickle) checkpoint'), False
    return 'damaged or incomplete: not a PyTorch checkpoint (neither zip nor pickle)', False


def _legacy_pickles_complete(path):
    """Whether the five pickles that open a legacy (pre-zip) torch file are all there, read
    opcode by opcode without running any of them."""
    with open(path, 'rb') as file:
        try:
            for _ in range(5):
                for _ in pickletools.genops(file):
                    pass
        except ValueError:  # genops: "pickle exhausted before seeing STOP" and the like
            return False
    return True


def _refused_globals(path, is_zip, error):
    """The globals of a checkpoint that weights-only loading refused, for the message."""
    names = torch.serialization.get_unsafe_globals_in_checkpoint(path) if is_zip else []
    core = error.__context__ or error  # torch wraps the unpickler's message in its advice
    names = names or re.findall(r'GLOBAL ([\w.]+)', str(core))
    return ', '.join(dict.fromkeys(names)) or _first_line(core)


def read_checkpoint(path, trust=False, mmap=False, map_location='cpu'):
    """The object saved in checkpoint file ``path``, read with :func:`checkpoint_loading`.

    ``mmap`` maps the tensors instead of reading them (a cheap check of a zip checkpoint).
    Raises :class:`DamagedCheckpointError` for a missing, empty, truncated, corrupt or foreign
    file and :class:`CheckpointError` for one holding objects only full unpickling can read
    (without ``trust``); each message is one line naming the file.
    """
    path = str(path)
    problem, is_zip = _file_problem(path)
    if problem:
        raise DamagedCheckpointError(f'{path}: {problem}')
    try:
        with checkpoint_loading(trust):
            return torch.load(path, map_location=map_location, weights_only=not trust,
                              mmap=mmap and is_zip)
    except pickle.UnpicklingError as error:
        if trust:
            raise DamagedCheckpointError(
                f'{path}: damaged or incomplete ({_first_line(error)})') from error
        raise CheckpointError(
            f"{path}: holds objects other than tensors and mmengine's training state "
            f'({_refused_globals(path, is_zip, error)}); only full unpickling reads them and it '
            'runs code stored in the file: pass --trust-checkpoint (trust_checkpoint=True) '
            'only for a file you trust') from error
    except (RuntimeError, EOFError, KeyError, IndexError, ValueError, OSError) as error:
        raise DamagedCheckpointError(f'{path}: damaged or incomplete ({type(error).__name__}: '
                                     f'{_first_line(error)})') from error


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else ''
