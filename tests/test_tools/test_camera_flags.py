"""The user's camera on the command line: the demos' and tools/test.py's --camera /
--camera-file / --ipd-mm, and render_faces.py's split rendered in a given camera."""
import argparse
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from tool_scripts import load_tool

from mmpose6d.geometry import Camera
from mmpose6d.utils.camera_args import add_camera_args, camera_from_args, camera_setting

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tests' / 'test_apis'))
from img2pose_checkpoint import write_random_img2pose  # noqa: E402

CONFIG = REPO / 'configs' / 'img2pose' / 'r18_fpn_rendered_cpu.py'


def _parse(*argv):
    return add_camera_args(argparse.ArgumentParser()).parse_args(list(map(str, argv)))


def test_flags_to_camera_and_config_value(tmp_path):
    args = _parse('--camera', 500, 510, 320, 240, '--ipd-mm', 61.5)
    assert camera_setting(args) == dict(fx=500, fy=510, cx=320, cy=240)
    assert camera_from_args(args).intrinsics == (500, 510, 320, 240) and args.ipd_mm == 61.5
    Camera.from_intrinsics(500, 500, 320, 240, [0.1, 0, 0, 0]).save(tmp_path / 'c.yml')
    args = _parse('--camera-file', tmp_path / 'c.yml')
    assert camera_setting(args) == dict(file=str(tmp_path / 'c.yml'))
    assert len(camera_from_args(args).distortion) == 4
    assert camera_from_args(_parse()) is None and camera_setting(_parse()) is None
    with pytest.raises(SystemExit):  # one or the other
        _parse('--camera', 1, 1, 1, 1, '--camera-file', 'c.yml')


def test_test_tool_sets_the_model_and_the_metric(tmp_path, monkeypatch):
    tool = load_tool('test.py')
    Camera.from_intrinsics(672, 672, 352, 216, image_size=(640, 480)).save(tmp_path / 'c.json')
    monkeypatch.setattr(sys, 'argv', ['test.py', str(CONFIG), 'ckpt.pth', '--camera-file',
                                      str(tmp_path / 'c.json'), '--ipd-mm', '66.5'])
    cfg = Config.fromfile(CONFIG)
    tool.apply_camera(cfg, tool.parse_args())
    assert cfg.model.camera == dict(file=str(tmp_path / 'c.json')) and cfg.model.ipd_mm == 66.5
    assert cfg.test_evaluator.camera == cfg.model.camera
    monkeypatch.setattr(sys, 'argv', ['test.py', str(CONFIG), 'ckpt.pth', '--camera', '0', '1',
                                      '2', '3'])
    with pytest.raises(SystemExit, match='error: camera: the focal lengths must be positive'):
        tool.apply_camera(Config.fromfile(CONFIG), tool.parse_args())


def test_image_demo_with_a_calibration_file(tmp_path):
    """The JSON predictions carry the poses in the camera and the distances; a missing file,
    or one calibrated on another image size, stops the demo with one line naming it."""
    config, checkpoint = write_random_img2pose(tmp_path)
    image = tmp_path / 'x.jpg'
    cv2.imwrite(str(image), np.random.default_rng(0).integers(0, 256, (120, 160, 3), np.uint8))
    calib = tmp_path / 'calib.yml'
    Camera.from_intrinsics(200, 200, 85, 55, [-0.1, 0.02, 0, 0, 0], (160, 120)).save(calib)

    def run(*flags):
        return subprocess.run([sys.executable, str(REPO / 'demo' / 'image_demo.py'), str(image),
                               str(config), '--weights', str(checkpoint), '--out-dir',
                               str(tmp_path / 'out'), '--pred-score-thr', '0', '--device', 'cpu',
                               '--no-save-vis', *map(str, flags)],
                              capture_output=True, text=True, cwd=REPO)

    result = run('--camera-file', calib)
    assert result.returncode == 0, result.stderr[-3000:]
    pred = json.loads((tmp_path / 'out' / 'preds' / 'x.json').read_text())
    assert np.shape(pred['camera_poses']) == (5, 6) and np.shape(pred['camera_euler']) == (5, 3)
    assert np.shape(pred['translation_mm']) == (5, 3) and np.shape(pred['distance_mm']) == (5, )
    result = run('--camera-file', tmp_path / 'missing.yml')
    assert result.returncode != 0 and 'Traceback' not in result.stderr
    assert 'missing.yml: no such camera calibration file' in result.stderr
    # a camera calibrated on another image size: one line naming the file and both sizes
    other_size = tmp_path / 'other_size.yml'
    Camera.from_intrinsics(200, 200, 85, 55, image_size=(320, 240)).save(other_size)
    result = run('--camera-file', other_size)
    assert result.returncode != 0 and 'Traceback' not in result.stderr
    assert 'other_size.yml: calibrated on 320 x 240 images, given a 160 x 120 image' in \
        result.stderr


def test_render_faces_camera_split(tmp_path):
    """--camera-split N --camera W H FX FY CX CY: the `other` distribution in that camera,
    the camera written next to the poses."""
    tool = load_tool('dataset_converters/render_faces.py')
    tool.main(['--out', str(tmp_path), '--train', '0', '--val', '0', '--camera-split', '2',
               '--camera', '160', '120', '110', '115', '70', '65', '--workers', '1',
               '--cache-dir', str(REPO / 'data' / 'cache')])
    camera = Camera.from_file(tmp_path / 'annotations' / 'camera_camera.json')
    assert camera.intrinsics == (110, 115, 70, 65) and camera.image_size == (160, 120)
    for image in (tmp_path / 'camera' / 'images').iterdir():
        assert cv2.imread(str(image)).shape == (120, 160, 3)
    poses = json.loads((tmp_path / 'annotations' / 'camera_render_poses.json').read_text())
    assert len(poses) == 2 and all(1 <= len(p) <= 3 for p in poses.values())


def test_camera_pose_error_tool_prints_both_readings(tmp_path, capsys):
    """tools/analysis_tools/camera_pose_error.py on a random model (its 5 faces kept at any
    score): a split per camera, a row per reading."""
    config, checkpoint = write_random_img2pose(tmp_path)
    tool = load_tool('analysis_tools/camera_pose_error.py')
    tool.main([str(config), str(checkpoint), '--images', '1', '--out', str(tmp_path / 'data'),
               '--score-thr', '-1', '--cache-dir', str(REPO / 'data' / 'cache')])
    out = capsys.readouterr().out
    for name in tool.CAMERAS:
        assert Camera.from_file(tmp_path / 'data' / 'annotations' /
                                f'camera_{name}_camera.json').image_size == (640, 480)
        assert f'{name}: 640 x 480' in out
    assert 'expected distance bias -4.72 %' in out
