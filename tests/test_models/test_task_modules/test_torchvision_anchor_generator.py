"""TorchvisionAnchorGenerator: rounded base anchors, strides from the padded batch, every
anchor valid."""
import torch

from mmpose6d.models.task_modules import TorchvisionAnchorGenerator


def _generator():
    return TorchvisionAnchorGenerator(strides=[4, 8, 16, 32, 64], ratios=[0.5, 1.0, 2.0],
                                      scales=[4])


def test_base_anchors_are_rounded():
    base = _generator().base_anchors
    # size 16, h/w 0.5, 1, 2: torchvision's [-11, -6, 11, 6], [-8, -8, 8, 8], [-6, -11, 6, 11]
    assert base[0].tolist() == [[-11, -6, 11, 6], [-8, -8, 8, 8], [-6, -11, 6, 11]]
    assert base[4].tolist() == [[-181, -91, 181, 91], [-128, -128, 128, 128],
                                [-91, -181, 91, 181]]


def test_strides_follow_the_padded_batch():
    """A 480 x 640 batch: the top level (stride-2 max pool of a 15 x 20 map) is 8 x 10, so
    its vertical stride is 480 // 8 = 60 while the horizontal one is 640 // 10 = 64."""
    sizes = [(120, 160), (60, 80), (30, 40), (15, 20), (8, 10)]
    anchors = _generator().grid_priors(sizes, device='cpu')
    assert [len(a) for a in anchors] == [57600, 14400, 3600, 900, 240]
    top = anchors[4].view(8, 10, 3, 4)
    centres = (top[..., :2] + top[..., 2:]) / 2
    assert centres[1, 0, 0].tolist() == [0, 60] and centres[0, 1, 0].tolist() == [64, 0]
    assert centres[7, 9, 2].tolist() == [9 * 64, 7 * 60]
    # location-major, the three ratios of one location together
    assert anchors[0][:3].tolist() == _generator().base_anchors[0].tolist()
    assert anchors[0][3].tolist() == [-7, -6, 15, 6]


def test_every_anchor_is_valid():
    flags = _generator().valid_flags([(8, 8), (4, 4), (2, 2), (1, 1), (1, 1)], (20, 20),
                                     device='cpu')
    assert [f.tolist().count(True) for f in flags] == [192, 48, 12, 3, 3]
    assert all(f.dtype == torch.bool and f.all() for f in flags)
