"""mmpose6d.utils.checkpoint: safe reading and damaged files."""
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from bad_inputs import WritesMarker
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint, load_from_http
from toy_training import toy_runner

from mmpose6d.utils import checkpoint as ckpt
from mmpose6d.utils.checkpoint import (CheckpointError, DamagedCheckpointError, checkpoint_loading,
                                       read_checkpoint)


class GetattrGadget:
    """A crafted pickle reaching a method other than HistoryBuffer's statistics through
    ``getattr``, the one builtin the allow-list admits (restricted)."""

    def __reduce__(self):
        return getattr, (HistoryBuffer, 'update')


@pytest.fixture(scope='module', params=['cpu', 'wider'])
def trained(request, tmp_path_factory):
    """The work dir of a finished toy training with each recipe's hooks and schedulers."""
    work_dir = tmp_path_factory.mktemp(f'toy_{request.param}')
    toy_runner(work_dir, recipe=request.param).train()
    return work_dir


def test_training_checkpoints_need_exactly_the_allow_list(trained):
    """What mmengine's checkpoints hold beyond torch's defaults is in SAFE_GLOBALS; with it
    (registered by ``import mmpose6d``) plain weights-only loading reads them, histories and
    statistics included."""
    allowed = {g[1] if isinstance(g, tuple) else f'{g.__module__}.{g.__qualname__}'
               for g in ckpt.SAFE_GLOBALS}
    files = sorted(trained.glob('*.pth'))
    assert len(files) >= 2
    registered = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()  # what torch's defaults alone refuse
    try:
        refused = {path: set(torch.serialization.get_unsafe_globals_in_checkpoint(str(path)))
                   for path in files}
    finally:
        torch.serialization.add_safe_globals(registered)
    for path in files:
        assert refused[path] and refused[path] <= allowed, refused[path] - allowed
        assert set(torch.load(path, weights_only=True)) == set(read_checkpoint(path))
        checkpoint = read_checkpoint(path)
        assert {'meta', 'state_dict', 'message_hub'} <= set(checkpoint)
        history = checkpoint['message_hub']['log_scalars']['train/loss']
        assert isinstance(history, HistoryBuffer) and np.isfinite(history.mean())
        assert checkpoint['meta']['dataset_meta']['classes'] == ('face', )


def test_import_mmpose6d_allows_the_training_state(trained):
    """A process that imported mmpose6d reads training checkpoints with plain weights-only
    loading (mmengine's too, inside the tools' context or not); one that did not refuses
    them, so the registration is what makes mmdet's tools read them."""
    path = str(next(trained.glob('*_2.pth')))
    assert 'message_hub' in _load_checkpoint(path)
    with checkpoint_loading():
        assert 'message_hub' in _load_checkpoint(path)
    assert 'TORCH_FORCE_WEIGHTS_ONLY_LOAD' not in os.environ
    assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in os.environ
    load = f'import torch; torch.load({path!r}, weights_only=True)'
    bare = subprocess.run([sys.executable, '-c', load], capture_output=True, text=True)
    assert bare.returncode != 0 and 'HistoryBuffer' in bare.stderr
    subprocess.run([sys.executable, '-c', f'import mmpose6d; {load}'], check=True)


def test_no_process_wide_switch_to_full_unpickling(monkeypatch):
    """The old set-up exported TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 for the whole process; a
    user's own setting of it is overridden inside the context and restored after it."""
    from mmpose6d.utils.runner_setup import load_config  # noqa: F401  (imported by the tools)
    assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in os.environ
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    with checkpoint_loading():
        assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in os.environ
        assert os.environ['TORCH_FORCE_WEIGHTS_ONLY_LOAD'] == '1'
    assert os.environ['TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'] == '1'
    assert 'TORCH_FORCE_WEIGHTS_ONLY_LOAD' not in os.environ


def test_load_from_stays_tolerant_and_weights_only(trained, tmp_path, capsys):
    """Fine-tuning from another model's weights (load_from) keeps mmengine's tolerant loading
    (a warning for missing and unexpected keys); a crafted file is refused there too."""
    checkpoint = read_checkpoint(next(trained.glob('*_2.pth')))
    weights = {k: v for k, v in checkpoint['state_dict'].items() if k.startswith('linear.')}
    torch.save(dict(checkpoint, state_dict=dict(weights, extra=torch.zeros(1))),
               tmp_path / 'partial.pth')
    with checkpoint_loading():
        toy_runner(tmp_path / 'tuned', max_length=2, load_from=str(tmp_path / 'partial.pth'),
                   interval=2).train()
    printed = capsys.readouterr().out  # mmengine prints the mismatch
    assert 'The model and loaded state dict do not match exactly' in printed
    assert 'unexpected key in source state_dict: extra' in printed
    assert 'missing keys in source state_dict: norm.weight' in printed

    marker = tmp_path / 'marker'
    torch.save(dict(checkpoint, payload=WritesMarker(marker)), tmp_path / 'evil.pth')
    runner = toy_runner(tmp_path / 'evil', load_from=str(tmp_path / 'evil.pth'))
    with checkpoint_loading(), pytest.raises(pickle.UnpicklingError):
        runner.train()
    assert not marker.exists()


@pytest.mark.parametrize('legacy', [False, True])
def test_crafted_pickle_runs_only_when_trusted(tmp_path, legacy):
    marker = tmp_path / 'marker'
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict=dict(w=torch.zeros(2)), payload=WritesMarker(marker)), path,
               _use_new_zipfile_serialization=not legacy)
    with pytest.raises(CheckpointError) as error:
        read_checkpoint(path)
    message = str(error.value)
    assert not isinstance(error.value, DamagedCheckpointError)
    assert message.startswith(f'{path}: holds objects other than tensors')
    assert 'system' in message and '--trust-checkpoint' in message and '\n' not in message
    with checkpoint_loading(), pytest.raises(pickle.UnpicklingError):
        _load_checkpoint(str(path))  # mmengine's own loading, as the runner does it
    assert not marker.exists()
    read_checkpoint(path, trust=True)
    assert marker.exists()


def test_downloads_are_weights_only_too(tmp_path):
    """mmengine reads http(s):// and torchvision:// checkpoints (load_from, a Pretrained
    init_cfg) through torch.hub, which passes weights_only=False; inside the context torch's
    switch makes that weights-only as well."""
    marker = tmp_path / 'marker'
    torch.save(dict(payload=WritesMarker(marker)), tmp_path / 'evil.pth')
    with checkpoint_loading(), pytest.raises(pickle.UnpicklingError):
        load_from_http(f'file://{tmp_path / "evil.pth"}', map_location='cpu',
                       model_dir=str(tmp_path / 'hub'))
    assert not marker.exists()


def test_getattr_is_restricted_to_history_buffer_statistics(tmp_path):
    path = tmp_path / 'gadget.pth'
    torch.save(dict(state_dict={}, payload=GetattrGadget()), path)
    with pytest.raises(CheckpointError, match=r'gadget\.pth: holds objects .*builtins\.getattr'):
        read_checkpoint(path)


def _damaged_files(folder):
    """{name: expected message part} of files that are no readable checkpoint."""
    torch.save(dict(w=torch.randn(300, 300)), folder / 'good.pth')
    torch.save(dict(w=torch.randn(300, 300)), folder / 'legacy.pth',
               _use_new_zipfile_serialization=False)
    data, legacy = (folder / 'good.pth').read_bytes(), (folder / 'legacy.pth').read_bytes()
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    files = {'empty.pth': (b'', 'the file is empty'),
             'truncated.pth': (data[:len(data) // 2], 'truncated'),
             'partial.pth': (data[:100], 'truncated'),
             'legacy_cut_pickle.pth': (legacy[:40], 'truncated legacy'),
             'legacy_cut_data.pth': (legacy[:len(legacy) // 3], 'unexpected EOF'),
             'text.pth': (b'not a checkpoint\n', 'neither zip nor pickle'),
             'flipped.pth': (bytes(flipped), 'fails its checksum')}
    for name, (content, _) in files.items():
        (folder / name).write_bytes(content)
    return {name: part for name, (_, part) in files.items()}


def test_damaged_files_give_one_line_naming_them(tmp_path):
    for name, part in _damaged_files(tmp_path).items():
        for mmap in (False, True):
            with pytest.raises(DamagedCheckpointError) as error:
                read_checkpoint(tmp_path / name, mmap=mmap)
            message = str(error.value)
            assert message.startswith(f'{tmp_path / name}: damaged or incomplete'), message
            assert part in message and '\n' not in message and 'trust' not in message
    with pytest.raises(DamagedCheckpointError, match=r'missing\.pth: not found'):
        read_checkpoint(tmp_path / 'missing.pth')
    assert read_checkpoint(tmp_path / 'legacy.pth')['w'].shape == (300, 300)
