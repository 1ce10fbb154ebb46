"""mmdet's SingleRoIExtractor with torchvision's level rule and mmpose6d's RoI layers."""
import math

import torch
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor

from mmpose6d import ops
from mmpose6d.registry import MODELS


@MODELS.register_module()
class OpsRoIExtractor(SingleRoIExtractor):
    """``SingleRoIExtractor`` with four changes.

    - Its ``roi_layer.type`` names a layer of :mod:`mmpose6d.ops` when it has one
      (``RoIAlign``: mmcv's numbers on a multi-threaded CPU kernel), else of ``mmcv.ops``.
    - With those layers on CPU, the RoIs of all levels are pooled in one pass
      (:func:`mmpose6d.ops.multi_level_roi_align`): the same features, bit for bit, without
      mmdet's zero-filled output and per-level copies.
    - Half-precision features (autocast, ``inference_dtype``) are pooled in float32 from the
      RoIs in their own precision, on every device: mmdet's would round the RoIs to the
      features' dtype first.
    - RoIs map to levels by torchvision's ``MultiScaleRoIAlign`` rule, which the original
      img2pose uses: ``floor(canonical_level + log2(sqrt(area) / canonical_scale) + 1e-6)``
      clamped to the levels of ``featmap_strides`` (level k has stride 2**k). mmdet's
      ``finest_scale`` rule is the same up to where the 1e-6 sits, which moves RoIs of
      some sizes near a boundary to the other level.

    Args:
        canonical_scale, canonical_level: a RoI of ``sqrt(area) == canonical_scale`` pools
            from the level of stride ``2 ** canonical_level`` (torchvision: 224 and 4).
    """

    def __init__(self, *args, canonical_scale=224, canonical_level=4, **kwargs):
        super().__init__(*args, **kwargs)
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level
        self.first_level = round(math.log2(self.featmap_strides[0]))

    def forward(self, feats, rois, roi_scale_factor=None):
        if roi_scale_factor is None and len(feats) > 1:
            levels = self.map_roi_levels(rois, len(feats))
            pooled = ops.multi_level_roi_align(feats, rois, levels, self.roi_layers)
            if pooled is not None:
                return pooled
        dtype = feats[0].dtype
        if dtype in (torch.float16, torch.bfloat16):
            # mmdet's extractor would round the RoIs to the features' dtype (bfloat16 keeps
            # 8 bits: steps of 8 px at 1000 px): pooled in float32, returned in their dtype
            return super().forward([feat.float() for feat in feats], rois.float(),
                                   roi_scale_factor).to(dtype)
        return super().forward(feats, rois, roi_scale_factor)

    def build_roi_layers(self, layer_cfg, featmap_strides):
        cfg = dict(layer_cfg)
        if isinstance(cfg['type'], str) and hasattr(ops, cfg['type']):
            cfg['type'] = getattr(ops, cfg['type'])
        return super().build_roi_layers(cfg, featmap_strides)

    def map_roi_levels(self, rois, num_levels):
        """Levels of the RoIs, computed in float32 at least: mmdet's extractor casts the RoIs
        to the features' dtype, and under float16 autocast the area of a face over 256 px
        overflows (65504), which would send it to the wrong level."""
        rois = rois.float() if rois.dtype in (torch.float16, torch.bfloat16) else rois
        scale = torch.sqrt((rois[:, 3] - rois[:, 1]) * (rois[:, 4] - rois[:, 2]))
        levels = torch.floor(self.canonical_level + torch.log2(scale / self.canonical_scale) +
                             scale.new_tensor(1e-6))
        return (levels.clamp(self.first_level, self.first_level + num_levels - 1) -
                self.first_level).long()
