"""AtomicCheckpointHook: a training killed while writing a checkpoint, then resumed."""
import subprocess
import sys
from pathlib import Path

from toy_training import toy_runner

from mmpose6d.engine import AtomicCheckpointHook
from mmpose6d.engine.atomic_backend import temporary_path
from mmpose6d.utils.checkpoint import checkpoint_loading, read_checkpoint
from mmpose6d.utils.resume import find_resume_checkpoint

REPO = Path(__file__).resolve().parents[2]
#: trains the toy model in argv[1]; os.fsync (called by AtomicLocalBackend between writing a
#: checkpoint's bytes and renaming them) kills the process at the second checkpoint
KILLED_WHILE_SAVING = f'''
import os, signal, sys
sys.path[:0] = [{str(REPO)!r}, {str(REPO / 'tests')!r}]
from toy_training import toy_runner
fsync, calls = os.fsync, []
def fsync_or_die(fd):
    calls.append(fd)
    if len(calls) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    fsync(fd)
os.fsync = fsync_or_die
toy_runner(sys.argv[1], max_length=4, interval=2).train()
'''


def test_kill_during_checkpoint_write_then_resume(tmp_path):
    work_dir = tmp_path / 'work'
    killed = subprocess.run([sys.executable, '-c', KILLED_WHILE_SAVING, str(work_dir)],
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr[-2000:]
    # the interrupted write left its temporary file only; the previous checkpoint is whole
    assert not (work_dir / 'iter_4.pth').exists()
    leftover = Path(temporary_path(str(work_dir / 'iter_4.pth')))
    assert leftover.is_file()
    assert read_checkpoint(work_dir / 'iter_2.pth')['meta']['iter'] == 2
    assert find_resume_checkpoint(str(work_dir)) == str(work_dir / 'iter_2.pth')

    with checkpoint_loading():
        runner = toy_runner(work_dir, max_length=4, interval=2,
                            load_from=str(work_dir / 'iter_2.pth'), resume=True)
        runner.train()
    log = sorted(work_dir.glob('*/*.log'))[-1].read_text()  # the resumed run's
    assert 'resumed epoch: 0, iter: 2' in log
    assert f'removed {leftover}, a checkpoint an interrupted run was still writing' in log
    assert not leftover.exists()
    # mmengine's deprecation notes on the FileClient the hook never uses are not logged
    assert 'FileClient' not in log and 'HardDiskBackend' not in log
    assert read_checkpoint(work_dir / 'iter_4.pth')['meta']['iter'] == 4
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'iter_4.pth')


def test_chosen_storage_is_kept(tmp_path):
    runner = toy_runner(tmp_path / 'work', max_length=2, interval=2)
    hook = next(h for h in runner.hooks if isinstance(h, AtomicCheckpointHook))
    hook.backend_args = dict(backend='local')  # as a config naming its storage does
    runner.train()
    assert hook.backend_args == dict(backend='local')
    assert read_checkpoint(tmp_path / 'work' / 'iter_2.pth')['meta']['iter'] == 2
