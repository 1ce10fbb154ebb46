"""Operators compiled with mmpose6d (``mmpose6d._ext``), drop-in for their mmcv versions."""
from .compiled import ext_available
from .nms import batched_nms
from .roi_align import RoIAlign, multi_level_roi_align, roi_align

__all__ = ['RoIAlign', 'roi_align', 'multi_level_roi_align', 'batched_nms', 'ext_available']
