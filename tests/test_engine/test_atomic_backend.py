"""The ``atomic_local`` file backend: whole files or none, registered when a config is
loaded."""
import os
import subprocess
import sys

import pytest
from mmengine.fileio import get_file_backend

from mmpose6d.engine.atomic_backend import ATOMIC_BACKEND_ARGS, AtomicLocalBackend, temporary_path

#: a fresh process that only loads a config (its ``custom_imports``), as mmdet's tools do,
#: then asks mmengine for the backend by name
LOAD_CONFIG_THEN_BACKEND = """
import sys
from mmengine.config import Config
from mmengine.fileio import get_file_backend
Config.fromfile(sys.argv[1])
print(type(get_file_backend('x.pth', backend_args=dict(backend='atomic_local'))).__name__)
"""


def test_put_writes_the_whole_file_and_no_temporary(tmp_path):
    backend = AtomicLocalBackend()
    backend.put(b'abc', tmp_path / 'sub' / 'x.bin')
    assert (tmp_path / 'sub' / 'x.bin').read_bytes() == b'abc'
    backend.put_text('d\u00e9f', str(tmp_path / 'sub' / 'x.bin'))  # overwrites in place
    assert (tmp_path / 'sub' / 'x.bin').read_bytes() == 'd\u00e9f'.encode()
    assert os.listdir(tmp_path / 'sub') == ['x.bin']
    assert temporary_path(str(tmp_path / 'x.pth')) == str(tmp_path / '.x.pth.tmp')


def test_failed_write_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    """A write that fails before its rename (a full disk, a killed process) leaves the
    previous file as it was."""
    path = tmp_path / 'iter_2.pth'
    path.write_bytes(b'previous')

    def full_disk(fd):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', full_disk)
    with pytest.raises(OSError, match='No space left'):
        AtomicLocalBackend().put(b'new', path)
    assert path.read_bytes() == b'previous'
    assert os.listdir(tmp_path) == ['iter_2.pth']


def test_backend_args_select_it():
    assert isinstance(get_file_backend('x.pth', backend_args=ATOMIC_BACKEND_ARGS),
                      AtomicLocalBackend)


def test_registered_when_a_config_is_loaded():
    config = os.path.join(os.path.dirname(__file__), '..', '..', 'configs', 'img2pose',
                          'r18_fpn_rendered_cpu.py')
    done = subprocess.run([sys.executable, '-c', LOAD_CONFIG_THEN_BACKEND, config],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-1] == 'AtomicLocalBackend'
