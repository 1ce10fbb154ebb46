from .ops_roi_extractor import OpsRoIExtractor

__all__ = ['OpsRoIExtractor']
