"""torchvision's anchor layout (the original img2pose RPN) as an mmdet prior generator."""
import torch
from mmdet.models.task_modules.prior_generators import AnchorGenerator

from mmpose6d.registry import TASK_UTILS


@TASK_UTILS.register_module()
class TorchvisionAnchorGenerator(AnchorGenerator):
    """mmdet's ``AnchorGenerator`` laid out as torchvision's.

    Three differences, each measured on the original model:

    - base anchors are rounded to whole pixels (level 0, size 16: ``[-11, -6, 11, 6]``,
      ``[-8, -8, 8, 8]``, ``[-6, -11, 6, 11]``);
    - the stride of a level is the padded batch size divided (floor) by that level's map
      size, not a constant: a 480-pixel-high batch has a 15-row stride-32 map and an 8-row
      top map, so the top level's vertical stride is 480 // 8 = 60, not 64. The padded size
      is level 0's map size times ``strides[0]``, exact when the data preprocessor pads to
      a multiple of the backbone's largest stride (32);
    - every anchor of the padded batch is valid, also those in another image's padding
      (torchvision has no valid flags; they are negatives in training).

    ``strides`` give the nominal strides (the base anchor size is ``scale * stride``).
    """

    def gen_single_level_base_anchors(self, base_size, scales, ratios, center=None):
        return super().gen_single_level_base_anchors(base_size, scales, ratios,
                                                     center).round()

    def grid_priors(self, featmap_sizes, dtype=torch.float32, device='cuda'):
        assert self.num_levels == len(featmap_sizes)
        stride_w, stride_h = self.strides[0]
        pad_h, pad_w = featmap_sizes[0][0] * stride_h, featmap_sizes[0][1] * stride_w
        return [
            self._level_anchors(level, size, (pad_w // size[1], pad_h // size[0]), dtype,
                                device) for level, size in enumerate(featmap_sizes)
        ]

    def _level_anchors(self, level, featmap_size, stride, dtype, device):
        """The anchors (H*W*A, 4) of one level, location-major as torchvision orders them."""
        base_anchors = self.base_anchors[level].to(device=device, dtype=dtype)
        feat_h, feat_w = featmap_size
        shift_x = torch.arange(feat_w, device=device).to(dtype) * stride[0]
        shift_y = torch.arange(feat_h, device=device).to(dtype) * stride[1]
        shift_xx, shift_yy = self._meshgrid(shift_x, shift_y)
        shifts = torch.stack([shift_xx, shift_yy, shift_xx, shift_yy], dim=-1)
        return (shifts[:, None, :] + base_anchors[None, :, :]).view(-1, 4)

    def single_level_grid_priors(self, featmap_size, level_idx, dtype=torch.float32,
                                 device='cuda'):
        raise NotImplementedError('the strides of TorchvisionAnchorGenerator depend on all '
                                  'levels: call grid_priors with every feature map size')

    def valid_flags(self, featmap_sizes, pad_shape, device='cuda'):
        return [
            torch.ones(h * w * num, dtype=torch.bool, device=device)
            for (h, w), num in zip(featmap_sizes, self.num_base_anchors)
        ]
