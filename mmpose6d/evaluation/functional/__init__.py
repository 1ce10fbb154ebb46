"""Evaluation cores on numpy / scipy and the geometry, without mmdet or mmengine."""
from .wider_face import (SETTINGS, WiderImage, check_predictions, evaluate_wider, load_wider_gt,
                         read_pred_dir, read_pred_file, voc_ap, write_pred_dir)

__all__ = [
    'SETTINGS', 'WiderImage', 'check_predictions', 'evaluate_wider',
    'load_wider_gt', 'read_pred_dir', 'read_pred_file', 'voc_ap', 'write_pred_dir'
]
