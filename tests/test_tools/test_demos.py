"""demo/image_demo.py and demo/video_demo.py run as scripts on a random img2pose model, with
unreadable images and with crafted or unfitting checkpoints."""
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from bad_inputs import WritesMarker, write_unreadable_images

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tests' / 'test_apis'))
from img2pose_checkpoint import write_random_img2pose  # noqa: E402


@pytest.fixture(scope='module')
def model(tmp_path_factory):
    return tuple(map(str, write_random_img2pose(tmp_path_factory.mktemp('model'))))


def _run(script, *args, returncode=0):
    """The script's stdout (and stderr, with a non-zero ``returncode``)."""
    result = subprocess.run([sys.executable, str(REPO / 'demo' / script), *map(str, args)],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == returncode, result.stderr[-3000:]
    return result.stdout + (result.stderr if returncode else '')


def test_image_demo(model, tmp_path):
    rng = np.random.default_rng(1)
    images = tmp_path / 'images'
    images.mkdir()
    for name, shape in (('x.jpg', (120, 160, 3)), ('y.png', (140, 100, 3))):
        cv2.imwrite(str(images / name), rng.integers(0, 256, shape, dtype=np.uint8))
    out = tmp_path / 'out'
    stdout = _run('image_demo.py', images, model[0], '--weights', model[1], '--out-dir', out,
                  '--batch-size', 2, '--pred-score-thr', 0, '--device', 'cpu', '--crops',
                  '--mesh')
    assert '10 faces in 2 images' in stdout
    for name, shape in (('x.jpg', (120, 160, 3)), ('y.png', (140, 100, 3))):
        stem = name.split('.')[0]
        assert cv2.imread(str(out / 'vis' / name)).shape == shape
        pred = json.loads((out / 'preds' / f'{stem}.json').read_text())
        assert np.shape(pred['landmarks']) == (5, 68, 2)
        assert np.shape(pred['landmarks5']) == (5, 5, 2)
        assert len(list((out / 'crops').glob(f'{stem}_*.png'))) == 5


def test_image_demo_draws_landmarks_on_request(model, tmp_path):
    image = tmp_path / 'x.jpg'
    cv2.imwrite(str(image), np.full((120, 160, 3), 128, np.uint8))
    drawn = {}
    for flags in ((), ('--landmarks', )):
        out = tmp_path / f'out{len(flags)}'
        _run('image_demo.py', image, model[0], '--weights', model[1], '--out-dir', out,
             '--pred-score-thr', 0, '--device', 'cpu', '--no-save-pred', *flags)
        drawn[flags] = cv2.imread(str(out / 'vis' / 'x.jpg')).astype(int)
    # the same boxes and axes; the points are drawn only when asked for
    changed = np.abs(drawn[('--landmarks', )] - drawn[()]).max(2) > 40
    assert 20 < changed.sum() < changed.size // 2


def test_video_demo(model, tmp_path):
    video = tmp_path / 'in.mp4'
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'mp4v'), 5, (96, 64))
    rng = np.random.default_rng(2)
    for _ in range(3):
        writer.write(rng.integers(0, 256, (64, 96, 3), dtype=np.uint8))
    writer.release()
    out = tmp_path / 'out' / 'drawn.mp4'
    # --score-thr: mmdet's name of --pred-score-thr; the network in bfloat16
    stdout = _run('video_demo.py', video, model[0], '--weights', model[1], '--out', out,
                  '--device', 'cpu', '--score-thr', 0, '--inference-dtype', 'bfloat16')
    assert '3 frames' in stdout
    capture = cv2.VideoCapture(str(out))
    assert capture.get(cv2.CAP_PROP_FRAME_COUNT) == 3
    size = capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT)
    assert size == (96, 64)
    capture.release()


def test_video_demo_bad_input(model, tmp_path):
    result = subprocess.run([sys.executable, str(REPO / 'demo' / 'video_demo.py'),
                             str(tmp_path / 'missing.mp4'), model[0], '--weights', model[1],
                             '--out', str(tmp_path / 'o.mp4')], capture_output=True, text=True)
    assert result.returncode != 0 and 'missing.mp4: cannot open' in result.stderr


def test_image_demo_goes_on_after_unreadable_images(model, tmp_path):
    """A folder of 13 images, one a corrupt JPEG and one an empty .jpg: the 11 others are
    processed, the two named, and the exit status says some were skipped."""
    rng = np.random.default_rng(3)
    images = tmp_path / 'images'
    images.mkdir()
    for i in range(11):
        cv2.imwrite(str(images / f'{i:02d}.jpg'), rng.integers(0, 256, (48, 64, 3), np.uint8))
    reasons = write_unreadable_images(images)
    (images / 'truncated.jpg').unlink()
    out = tmp_path / 'out'
    output = _run('image_demo.py', images, model[0], '--weights', model[1], '--out-dir', out,
                  '--score-thr', 0, '--device', 'cpu', returncode=1)  # mmdet's name of it
    assert '55 faces in 11 images' in output  # every face of the random model: threshold 0
    assert len(list((out / 'preds').glob('*.json'))) == 11
    for name in ('corrupt.jpg', 'empty.jpg'):
        assert f'{images / name}: image skipped ({reasons[name]})' in output
    assert (f'2 of 13 images skipped (unreadable): {images / "corrupt.jpg"} (image/corrupt), '
            f'{images / "empty.jpg"} (image/empty_file)') in output


def test_demos_refuse_crafted_and_unfitting_checkpoints(model, tmp_path):
    state_dict = torch.load(model[1], weights_only=True)['state_dict']
    marker = tmp_path / 'marker'
    torch.save(dict(state_dict=state_dict, payload=WritesMarker(marker)), tmp_path / 'evil.pth')
    torch.save(dict(state_dict={k.replace('backbone.', 'body.'): v
                                for k, v in state_dict.items()}), tmp_path / 'other.pth')
    image = tmp_path / 'x.jpg'
    cv2.imwrite(str(image), np.zeros((48, 64, 3), np.uint8))
    video = tmp_path / 'in.mp4'
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'mp4v'), 5, (64, 48))
    writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    for name, message in (('evil.pth', 'holds objects other than tensors'),
                          ('other.pth', 'does not fit the model')):
        weights = tmp_path / name
        for script, args in (('image_demo.py', (image, '--out-dir', tmp_path / 'out')),
                             ('video_demo.py', (video, '--out', tmp_path / 'out.mp4'))):
            output = _run(script, args[0], model[0], '--weights', weights, *args[1:],
                          '--device', 'cpu', returncode=1)
            assert f'error: {weights}: {message}' in output and 'Traceback' not in output
    assert not marker.exists()
