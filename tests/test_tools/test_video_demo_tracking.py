"""demo/video_demo.py's tracking on a random img2pose model: track IDs drawn, smoothing on
and off, the filter flags, and a bad filter setting named."""
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tests' / 'test_apis'))
from img2pose_checkpoint import write_random_img2pose  # noqa: E402


@pytest.fixture(scope='module')
def model(tmp_path_factory):
    return tuple(map(str, write_random_img2pose(tmp_path_factory.mktemp('model'))))


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    """A still 'video': one noise image four times (the random model finds the same five
    faces in each frame)."""
    path = tmp_path_factory.mktemp('video') / 'still.mp4'
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 10, (96, 64))
    image = np.random.default_rng(4).integers(0, 256, (64, 96, 3), dtype=np.uint8)
    for _ in range(4):
        writer.write(image)
    writer.release()
    return path


def _run(*args):
    return subprocess.run([sys.executable, str(REPO / 'demo' / 'video_demo.py'),
                           *map(str, args)], capture_output=True, text=True, cwd=REPO)


def _frames(path):
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame.astype(int))
    capture.release()
    return frames


def test_tracks_smoothed_and_not(model, video, tmp_path):
    outputs = {}
    for name, flags in (('smooth', ('--rotation-filter', 1.5, 0.5, '--translation-filter',
                                    1.0, 0.3, '--max-misses', 2)),
                        ('raw', ('--no-smooth', ))):
        out = tmp_path / f'{name}.mp4'
        result = _run(video, model[0], '--weights', model[1], '--out', out, '--device', 'cpu',
                      '--score-thr', 0, '--new-track-score', 0, *flags)
        assert result.returncode == 0, result.stderr[-3000:]
        assert '4 frames, 5 tracks' in result.stdout  # the same five faces all along
        outputs[name] = _frames(out)
        assert len(outputs[name]) == 4 and outputs[name][0].shape == (64, 96, 3)
    # by default only faces scoring 0.8 start tracks: none of the random model's
    result = _run(video, model[0], '--weights', model[1], '--out', tmp_path / 'default.mp4',
                  '--device', 'cpu', '--score-thr', 0)
    assert result.returncode == 0 and '4 frames, 0 tracks' in result.stdout, result.stderr
    # a still video: the smoothed poses are the detected ones, the drawings alike
    for smooth, raw in zip(outputs['smooth'], outputs['raw']):
        assert np.abs(smooth - raw).mean() < 2


def test_bad_filter_setting_is_named(model, video, tmp_path):
    result = _run(video, model[0], '--weights', model[1], '--out', tmp_path / 'o.mp4',
                  '--rotation-filter', 0, 1)
    assert result.returncode == 1
    assert 'error: min_cutoff must be a frequency above 0 Hz, got 0.0' in result.stderr
    assert 'Traceback' not in result.stderr
