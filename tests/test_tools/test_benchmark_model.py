"""tools/analysis_tools/benchmark_model.py builds its five models from a recipe config and
times them (tiny image, one repeat: the figures are the script's business, not the test's)."""
import re
from pathlib import Path

import pytest
from tool_scripts import load_tool

from mmpose6d.models.detectors import resolve_channels_last

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize('config', ['r18_fpn_wider.py', 'r18_fpn_rendered_cpu.py'])
def test_five_models_are_timed(config, capsys):
    tool = load_tool('analysis_tools/benchmark_model.py')
    head = 'model.roi_head.pose_head.'
    references = REPO / 'pose_references'  # the CPU config's need its data
    tool.main([str(REPO / 'configs' / 'img2pose' / config), '--size', '160', '128',
               '--repeat', '1', '--threads', '1', '--cfg-options',
               f'{head}pose_coder.pose_mean=[0,0,0,0,0,6]',
               f'{head}pose_coder.pose_stddev=[0.3,0.5,0.3,0.05,0.05,1.5]',
               f'{head}face_model.reference68={references / "ref68.npy"}',
               f'{head}face_model.reference5={references / "ref5.npy"}'])
    out = capsys.readouterr().out
    stages = {name: (inference, train) for name, inference, train in
              re.findall(r'^(\S.*?)\s+([\d.]+|-)\s+([\d.]+|-)$', out, re.M)}
    assert {'backbone + FPN', 'RPN proposals (top-k, NMS)', 'RoI features', 'backward',
            'rest', 'whole'} <= set(stages), out
    assert stages['backward'][0] == '-' and float(stages['whole'][1]) > 0
    rows = re.findall(r'^(img2pose.*|Faster R-CNN.*?)\s+([\d.]+)\s+([\d.]+)\s+(\d+)$', out,
                      re.M)
    assert len(rows) == 5, out
    assert all(float(train) > 0 and float(test) > 0 for _, train, test, _ in rows)
    assert 'pose head overhead vs Faster R-CNN' in out
    # the other layout of the same model: both recipes run channels-last where this CPU has
    # AVX-512 ('auto')
    other = 'NCHW' if resolve_channels_last('auto') else 'channels-last'
    assert rows[4][0].strip() == f'img2pose, {other} layout'
    assert 'channels-last vs NCHW layout: train' in out
