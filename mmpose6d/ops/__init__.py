"""Operators compiled with mmpose6d (``mmpose6d._ext``), drop-in for their mmcv versions."""
from .roi_align import RoIAlign, ext_available, roi_align

__all__ = ['RoIAlign', 'roi_align', 'ext_available']
