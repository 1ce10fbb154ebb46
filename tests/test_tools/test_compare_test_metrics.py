"""tools/analysis_tools/compare_test_metrics.py: held-out splits' test metrics side by side."""
import json

import pytest
from tool_scripts import load_tool


@pytest.fixture(scope='module')
def tool():
    return load_tool('analysis_tools/compare_test_metrics.py')


def _write(work_dir, stamp, metrics):
    path = work_dir / stamp / f'{stamp}.json'
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(metrics))


def test_newest_run_of_each_split_in_rows(tool, tmp_path, capsys):
    _write(tmp_path / 'other', '20260101_000000', {'face_pose/AP50': 0.1})
    _write(tmp_path / 'other', '20260102_000000', {'face_pose/AP50': 0.936,
                                                   'face_pose/mae': 7.3})
    (tmp_path / 'other' / '20260103_000000' / 'vis_data').mkdir(parents=True)  # no metrics
    _write(tmp_path / 'shifted', '20260102_000000', {'face_pose/AP50': 0.85,
                                                     'face_pose/mae': 9.25})
    tool.main([f'other={tmp_path / "other"}', f'shifted={tmp_path / "shifted"}',
               '--metrics', 'face_pose/AP50', 'face_pose/mae', 'face_pose/yaw'])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ['split', 'AP50', 'mae', 'yaw']
    assert lines[1].split() == ['other', '0.936', '7.300', '-']
    assert lines[2].split() == ['shifted', '0.850', '9.250', '-']


def test_bad_arguments_are_named(tool, tmp_path):
    with pytest.raises(SystemExit, match='not NAME=WORK_DIR'):
        tool.main([str(tmp_path)])
    with pytest.raises(SystemExit, match='no <timestamp>'):
        tool.main([f'other={tmp_path}'])
