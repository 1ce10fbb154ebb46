"""Packing of pose targets into ``DetDataSample``s."""
from mmdet.datasets.transforms import PackDetInputs

from mmpose6d.registry import TRANSFORMS

#: Meta keys needed downstream, e.g. to rebuild the intrinsics of the input and original image.
POSE_META_KEYS = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
                  'flip_direction', 'pad_shape')


@TRANSFORMS.register_module()
class PackPoseDetInputs(PackDetInputs):
    """mmdet's :class:`PackDetInputs` that also packs ``gt_instances.poses`` (N,6) float32 and,
    when present, ``landmarks`` (N,68,2) and ``num_landmarks`` (N,) for metrics.

    ``meta_keys`` default to :data:`POSE_META_KEYS`; ``extra_meta_keys`` adds keys to them
    (e.g. a benchmark's ``gt_euler``) without restating the default."""

    mapping_table = {**PackDetInputs.mapping_table, 'gt_poses': 'poses',
                     'gt_landmarks': 'landmarks', 'gt_num_landmarks': 'num_landmarks'}

    def __init__(self, meta_keys=POSE_META_KEYS, extra_meta_keys=()):
        super().__init__(meta_keys=tuple(meta_keys) + tuple(extra_meta_keys))
