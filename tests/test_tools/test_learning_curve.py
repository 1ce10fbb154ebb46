"""tools/analysis_tools/learning_curve.py: evaluation points with their training time."""
import importlib.util
import json
import shutil
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'analysis_tools' / 'learning_curve.py'


def load_tool(_name):
    spec = importlib.util.spec_from_file_location('learning_curve', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_scalars(work_dir, records, stamp='20260101_000000'):
    path = work_dir / stamp / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    path.write_text('\n'.join(json.dumps(r) for r in records) + '\n')


def test_points_carry_the_training_time_before_them(tmp_path, capsys):
    _write_scalars(tmp_path, [{'step': 1}], stamp='20250101_000000')  # an older run
    _write_scalars(tmp_path, [
        dict(loss=3.0, iter=10, time=2.0, step=10),
        dict(loss=2.0, iter=20, time=4.0, step=20),
        {'face_pose/AP50': 0.25, 'face_pose/mae': 20.0, 'step': 25},
        dict(loss=1.0, iter=40, time=1.0, step=40),
        {'face_pose/AP50': 0.75, 'face_pose/mae': 9.5, 'step': 50},
    ])
    tool = load_tool('learning_curve')
    points = tool.learning_curve(tmp_path)
    # 10 x 2 s + 10 x 4 s (+ 5 x 4 s unlogged), then + 20 x 1 s (+ 10 x 1 s unlogged);
    # validation time is not counted
    assert [(it, s) for it, s, _ in points] == [(25, 80.0), (50, 90.0)]
    assert points[1][2]['face_pose/AP50'] == 0.75
    # metrics logged by epoch (step 0 or an epoch number): the last logged iteration
    _write_scalars(tmp_path, [dict(loss=3.0, iter=10, time=2.0, step=10),
                              {'face_pose/AP50': 0.5, 'step': 1}], stamp='20270101_000000')
    assert [(it, s) for it, s, _ in tool.learning_curve(tmp_path)] == [(10, 20.0)]
    shutil.rmtree(tmp_path / '20270101_000000')
    tool.main([str(tmp_path), '--metrics', 'face_pose/AP50', 'face_pose/mae', 'face_pose/yaw'])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ['iteration', 'train', 'min', 'AP50', 'mae', 'yaw']
    assert lines[1].split() == ['25', '1.3', '0.250', '20.000', '-']
    assert lines[2].split() == ['50', '1.5', '0.750', '9.500', '-']


def test_a_folder_without_logs_is_named(tmp_path):
    with pytest.raises(SystemExit, match=f'{tmp_path}: no '):
        load_tool('learning_curve').main([str(tmp_path)])
