"""OpsRoIExtractor's level rule: torchvision's MultiScaleRoIAlign, not mmdet's."""
import torch
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmengine.registry import init_default_scope

from mmpose6d.models import OpsRoIExtractor

ARGS = dict(roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=2, aligned=False),
            out_channels=256, featmap_strides=[4, 8, 16, 32])


def _squares(sides):
    sides = torch.tensor(sides, dtype=torch.float32)
    zeros = torch.zeros_like(sides)
    return torch.stack([zeros, zeros, zeros, sides, sides], 1)


def test_levels_by_box_size():
    init_default_scope('mmpose6d')
    levels = OpsRoIExtractor(**ARGS).map_roi_levels(
        _squares([10, 111.9, 112, 223.9, 224, 447.9, 448, 2000]), 4)
    assert levels.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]


def test_boundary_follows_torchvision():
    """A 223.99985 px square: torchvision's floor(4 + log2(s / 224) + 1e-6) gives stride 16;
    mmdet's floor(log2(s / 56 + 1e-6)) would give stride 8."""
    init_default_scope('mmpose6d')
    rois = _squares([223.99985])
    assert OpsRoIExtractor(**ARGS).map_roi_levels(rois, 4).tolist() == [2]
    assert SingleRoIExtractor(**ARGS).map_roi_levels(rois, 4).tolist() == [1]


def test_half_precision_rois_keep_their_levels():
    """Under float16 autocast mmdet's extractor casts the RoIs to float16, where the area of
    a face over 256 px overflows: the levels are computed in float32 all the same."""
    init_default_scope('mmpose6d')
    sides = [10, 112, 300, 440, 1000]  # exact in bfloat16 too
    extractor = OpsRoIExtractor(**ARGS)
    expected = extractor.map_roi_levels(_squares(sides), 4).tolist()
    assert expected == [0, 1, 2, 2, 3]
    for dtype in (torch.float16, torch.bfloat16):
        assert extractor.map_roi_levels(_squares(sides).to(dtype), 4).tolist() == expected
    assert extractor.map_roi_levels(_squares(sides).to('meta'), 4).device.type == 'meta'
