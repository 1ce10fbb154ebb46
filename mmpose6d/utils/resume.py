"""The checkpoint ``--resume`` continues from: the newest intact training checkpoint, so a
run killed while saving resumes from the one before instead of failing on a partial file."""
import logging
import os
import os.path as osp
import re

from mmengine.logging import print_log
from mmengine.runner.checkpoint import find_latest_checkpoint

from .checkpoint import DamagedCheckpointError, read_checkpoint

_RESUMABLE = re.compile(r'(?:iter|epoch)_(\d+)\.pth')


def resumable_problem(path, trust=False):
    """Why ``--resume`` cannot continue from ``path`` (None: it can). A checkpoint holding
    objects only full unpickling reads is an error, not a reason to pass it over."""
    try:
        checkpoint = read_checkpoint(path, trust, mmap=True)
    except DamagedCheckpointError as error:
        return str(error)
    missing = [k for k in ('meta', 'state_dict', 'message_hub')
               if not isinstance(checkpoint, dict) or k not in checkpoint]
    if missing:
        return (f'{path}: not a training checkpoint (no {", ".join(missing)}); to start from '
                'its weights, set load_from instead')
    return None


def find_resume_checkpoint(work_dir, trust=False):
    """The checkpoint ``--resume`` continues from: the one ``last_checkpoint`` names when it
    is intact, else the newest intact ``iter_N.pth`` / ``epoch_N.pth`` beside it, each
    checkpoint passed over logged as a warning naming it; None (with a warning) when there is
    none."""
    last = find_latest_checkpoint(work_dir) if osp.isfile(
        osp.join(work_dir, 'last_checkpoint')) else None
    folder = osp.dirname(last) if last else work_dir
    numbered = sorted((int(m.group(1)), name) for name in os.listdir(folder)
                      if (m := _RESUMABLE.fullmatch(name))) if osp.isdir(folder) else []
    candidates = ([last] if last else []) + [
        osp.join(folder, name) for _, name in reversed(numbered)
        if osp.join(folder, name) != last]
    for path in candidates:
        problem = resumable_problem(path, trust)
        if problem is None:
            if path != candidates[0] or not last:
                print_log(f'--resume: continuing from {path}', logger='current',
                          level=logging.WARNING)
            return path
        print_log(f'--resume: passing over {problem}', logger='current', level=logging.WARNING)
    print_log(f'--resume: no intact checkpoint in {folder} to resume from: training starts '
              'from the beginning', logger='current', level=logging.WARNING)
    return None
