"""Framework-free evaluation cores (numpy / scipy only)."""
from .wider_face import (SETTINGS, WiderImage, bbox_overlaps, check_predictions, evaluate_wider,
                         load_wider_gt, read_pred_dir, read_pred_file, voc_ap, write_pred_dir)

__all__ = [
    'SETTINGS', 'WiderImage', 'bbox_overlaps', 'check_predictions', 'evaluate_wider',
    'load_wider_gt', 'read_pred_dir', 'read_pred_file', 'voc_ap', 'write_pred_dir'
]
