"""Per-face bookkeeping shared by the transforms: select faces, mask faces out of the image."""
import numpy as np

from ..skip_counter import SKIPS

#: Results keys holding one row per face; they are always selected together.
INSTANCE_KEYS = ('gt_bboxes', 'gt_bboxes_labels', 'gt_ignore_flags', 'gt_landmarks',
                 'gt_num_landmarks', 'gt_poses')


def keep_instances(results, keep):
    """Keep the faces where the bool array ``keep`` (N,) is true, in every per-face key."""
    for key in INSTANCE_KEYS:
        if key in results:
            results[key] = results[key][keep]


def box_pixel_mask(boxes, height, width):
    """Bool (H,W) mask of the pixels covered by any of ``boxes`` (N,4) (outward-rounded).

    Vectorised over boxes: +1/-1 at the box corners of a difference image, summed up along
    both axes, restricted to the boxes' joint extent.
    """
    mask = np.zeros((height, width), bool)
    if not len(boxes):
        return mask
    x1, y1 = np.floor(boxes[:, :2]).astype(int).T
    x2, y2 = np.ceil(boxes[:, 2:]).astype(int).T
    x1, x2 = np.clip(x1, 0, width), np.clip(x2, 0, width)
    y1, y2 = np.clip(y1, 0, height), np.clip(y2, 0, height)
    ox, oy = x1.min(), y1.min()
    diff = np.zeros((y2.max() - oy + 1, x2.max() - ox + 1), np.int32)
    np.add.at(diff, (y1 - oy, x1 - ox), 1)
    np.add.at(diff, (y1 - oy, x2 - ox), -1)
    np.add.at(diff, (y2 - oy, x1 - ox), -1)
    np.add.at(diff, (y2 - oy, x2 - ox), 1)
    covered = diff.cumsum(0).cumsum(1)[:-1, :-1] > 0
    mask[oy:oy + covered.shape[0], ox:ox + covered.shape[1]] = covered
    return mask


def mask_and_drop(results, drop, reasons, source=''):
    """Zero the pixels of the faces where ``drop`` (N,) is true and remove them from the
    targets, counting each under its entry of ``reasons`` (N,) (a face that is not a target
    must not become background either)."""
    if not drop.any():
        return
    img = results['img']
    mask = box_pixel_mask(results['gt_bboxes'].numpy()[drop], *img.shape[:2])
    img[mask] = 0
    count_reasons(np.asarray(reasons)[drop], source)
    keep_instances(results, ~drop)


def count_reasons(reasons, source=''):
    """Add an array of reason strings to :data:`SKIPS`, one call per distinct reason."""
    names, counts = np.unique(np.asarray(reasons, dtype=str), return_counts=True)
    for name, count in zip(names, counts):
        SKIPS.add(str(name), f'{source}: {count} face(s)', count=int(count))
