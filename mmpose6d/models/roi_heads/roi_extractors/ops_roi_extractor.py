"""mmdet's SingleRoIExtractor with its RoI layer taken from :mod:`mmpose6d.ops`."""
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor

from mmpose6d import ops
from mmpose6d.registry import MODELS


@MODELS.register_module()
class OpsRoIExtractor(SingleRoIExtractor):
    """``SingleRoIExtractor`` (same level rule and arguments) whose ``roi_layer.type`` names
    a layer of :mod:`mmpose6d.ops` when it has one (``RoIAlign``: mmcv's numbers on a
    multi-threaded CPU kernel), else of ``mmcv.ops`` as in mmdet."""

    def build_roi_layers(self, layer_cfg, featmap_strides):
        cfg = dict(layer_cfg)
        if isinstance(cfg['type'], str) and hasattr(ops, cfg['type']):
            cfg['type'] = getattr(ops, cfg['type'])
        return super().build_roi_layers(cfg, featmap_strides)
