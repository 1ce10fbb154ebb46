"""tools/analysis_tools/benchmark_tracking.py: its figures on known tracks (perfect, delayed,
swapped, lost) and a short run end to end on a random img2pose model."""
import sys
from pathlib import Path

import numpy as np
import pytest
from tool_scripts import load_tool

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tests' / 'test_apis'))
from img2pose_checkpoint import write_random_img2pose  # noqa: E402

FPS = 30.0
HEAD = 2.3  # a head height in reference units


@pytest.fixture(scope='module')
def tool():
    return load_tool('analysis_tools/benchmark_tracking.py')


def tracked(tool, delay=0.0, frames=60):
    """Outputs of a tracker that reports the two faces' true poses ``delay`` frames late,
    face 1 as ID 1 and face 2 as ID 2; the true poses (2,T,6)."""
    times = np.arange(frames) / FPS
    truth = np.stack([tool.true_poses(times, motion, HEAD) for motion in tool.MOTIONS])
    late = np.stack([tool.true_poses(times - delay / FPS, motion, HEAD)
                     for motion in tool.MOTIONS])
    outputs = [dict(track_ids=np.array([1, 2]), smoothed_poses=late[:, t],
                    bboxes=np.zeros((2, 4))) for t in range(frames)]
    return outputs, truth


def figures(tool, outputs, truth, matched=None):
    frames = truth.shape[1]
    matched = np.tile([[0], [1]], frames) if matched is None else matched
    return tool.measure(outputs, truth, matched, FPS,
                        lambda face, times: tool.true_poses(times, tool.MOTIONS[face], HEAD))


def test_perfect_and_delayed_tracks(tool):
    perfect = figures(tool, *tracked(tool))
    assert perfect['tracks started'] == 2 and perfect['ID switches'] == 0
    assert perfect['lost face-frames'] == 0
    for key in ('rotation error mean (deg)', 'rotation jitter RMS (deg/frame)',
                'translation error mean (mm)', 'translation jitter RMS (mm/frame)',
                'lag (frames)'):
        assert perfect[key] == pytest.approx(0, abs=1e-6), key
    delayed = figures(tool, *tracked(tool, delay=2.0))
    assert delayed['lag (frames)'] == pytest.approx(2.0)
    assert delayed['rotation error at that lag (deg)'] == pytest.approx(0, abs=1e-6)
    assert delayed['rotation error mean (deg)'] > 2  # about 2 frames of turning
    # a steady delay is a smooth error: its frame-to-frame change is a tenth of it
    assert delayed['rotation jitter RMS (deg/frame)'] < 0.1 * delayed['rotation error mean (deg)']


def test_switches_and_lost_frames(tool):
    outputs, truth = tracked(tool)
    for t in range(30, 60):  # the IDs swap at frame 30
        outputs[t]['track_ids'] = np.array([2, 1])
    matched = np.tile([[0], [1]], 60)
    matched[1, 10:15] = -1  # face 2 lost for 5 frames
    result = figures(tool, outputs, truth, matched)
    assert result['ID switches'] == 2 and result['lost face-frames'] == 5


def test_runs_on_a_random_model(tool, tmp_path, capsys):
    config, checkpoint = write_random_img2pose(tmp_path)
    tool.main(['--config', str(config), '--checkpoint', str(checkpoint), '--frames', '3',
               '--faces', '1', '--score-thr', '0', '--cache-dir',
               str(REPO / 'data' / 'cache')])
    out = capsys.readouterr().out
    assert '3 frames at 30 fps, 1 faces, 512x384' in out
    for row in ('tracks started', 'ID switches', 'rotation jitter RMS (deg/frame)',
                'translation jitter RMS (mm/frame)', 'lag (frames)'):
        assert row in out
