"""mmpose6d.utils.resume: the checkpoint ``--resume`` continues from."""
import pytest
import torch
from bad_inputs import WritesMarker

from mmpose6d.utils.checkpoint import CheckpointError
from mmpose6d.utils.resume import find_resume_checkpoint


def _training_file(path, step):
    torch.save(dict(meta=dict(iter=step), state_dict={}, message_hub={}), path)


def test_resume_passes_over_damaged_checkpoints(tmp_path, logs):
    for step in (2, 4, 6):
        _training_file(tmp_path / f'iter_{step}.pth', step)
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_6.pth'))
    assert find_resume_checkpoint(tmp_path) == str(tmp_path / 'iter_6.pth') and not logs

    data = (tmp_path / 'iter_6.pth').read_bytes()
    (tmp_path / 'iter_6.pth').write_bytes(data[:len(data) // 2])  # a partial write
    torch.save(dict(state_dict={}), tmp_path / 'iter_4.pth')  # weights only: not resumable
    assert find_resume_checkpoint(tmp_path) == str(tmp_path / 'iter_2.pth')
    assert any(f'passing over {tmp_path / "iter_6.pth"}: damaged or incomplete' in m
               for m in logs)
    assert any(f'{tmp_path / "iter_4.pth"}: not a training checkpoint' in m for m in logs)
    assert logs[-1] == f'--resume: continuing from {tmp_path / "iter_2.pth"}'

    # no last_checkpoint (killed before the first one was complete): the newest intact one
    (tmp_path / 'last_checkpoint').unlink()
    logs.clear()
    assert find_resume_checkpoint(tmp_path) == str(tmp_path / 'iter_2.pth')
    (tmp_path / 'iter_2.pth').write_bytes(b'')
    assert find_resume_checkpoint(tmp_path) is None
    assert 'training starts from the beginning' in logs[-1]


def test_resume_refuses_untrusted_checkpoint(tmp_path):
    marker = tmp_path / 'marker'
    torch.save(dict(meta={}, state_dict={}, message_hub={}, x=WritesMarker(marker)),
               tmp_path / 'iter_2.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_2.pth'))
    with pytest.raises(CheckpointError, match=r'iter_2\.pth: holds objects'):
        find_resume_checkpoint(tmp_path)
    assert not marker.exists()
