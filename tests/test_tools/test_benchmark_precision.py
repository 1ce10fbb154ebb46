"""tools/analysis_tools/benchmark_precision.py times float32 against bfloat16 inference of one
checkpoint and reports their agreement (random weights, tiny images, one pass: the figures
are the script's business, the test checks what it prints)."""
import re
from pathlib import Path

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from tool_scripts import load_tool

from mmpose6d.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
# the WIDER recipe: its face model is the project's (the CPU recipe's is the rendered data's)
CONFIG = REPO / 'configs' / 'img2pose' / 'r18_fpn_wider.py'


def test_float32_and_bfloat16_are_timed_and_compared(tmp_path, capsys):
    head = 'model.roi_head.pose_head.'
    references = REPO / 'pose_references'
    options = {f'{head}pose_coder.pose_mean': [0, 0, 0, 0, 0, 6],
               f'{head}pose_coder.pose_stddev': [0.3, 0.5, 0.3, 0.05, 0.05, 1.5],
               f'{head}face_model.reference68': str(references / 'ref68.npy'),
               f'{head}face_model.reference5': str(references / 'ref5.npy'),
               'model.backbone.init_cfg': None}
    init_default_scope('mmpose6d')
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(options)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'model.pth')
    rng = np.random.default_rng(0)
    images = []
    for i in range(2):
        images.append(str(tmp_path / f'{i}.jpg'))
        cv2.imwrite(images[-1], rng.integers(0, 255, (160, 200, 3), dtype=np.uint8))

    tool = load_tool('analysis_tools/benchmark_precision.py')
    tool.main([str(CONFIG), str(tmp_path / 'model.pth'), *images, '--repeat', '1',
               '--threads', '1', '--iou', '0.5', '--cfg-options'] +
              [f'{k}={v}'.replace(' ', '') for k, v in options.items()])
    out = capsys.readouterr().out
    times = dict(re.findall(r'^(float32|bfloat16)\s+([\d.]+) s per image', out, re.M))
    assert set(times) == {'float32', 'bfloat16'} and all(float(t) > 0 for t in times.values())
    assert re.search(r'^bfloat16 / float32 time: [\d.]+x$', out, re.M), out
    counts = re.search(r'detections: float32 (\d+), bfloat16 (\d+); matched at IoU >= 0.5: '
                       r'(\d+)', out)
    assert counts and int(counts[1]) > 0 and 0 < int(counts[3]) <= int(counts[1]), out
    rotation = re.search(r'rotation difference\s+median ([\d.e-]+) deg', out)
    assert rotation and float(rotation[1]) < 10, out
