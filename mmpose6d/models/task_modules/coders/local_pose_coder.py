"""img2pose's pose coding: a global pose as the normalised pose relative to a box."""
import torch
from torch import nn

from mmpose6d.geometry import pose_bbox_to_full_image, pose_full_image_to_bbox
from mmpose6d.registry import TASK_UTILS
from mmpose6d.utils.array_io import load_array


@TASK_UTILS.register_module()
class LocalPoseCoder(nn.Module):
    """Encodes global 6DoF poses as the pose branch's regression targets and decodes its
    outputs, as mmdet's box coders do for box deltas.

    The target of a pose in a box is its local pose: the pose seen by the box's own camera
    (focal ``bw + bh``, principal point at the box centre; ``docs/geometry.md``), normalised
    with ``pose_mean`` / ``pose_stddev``. Decoding de-normalises and moves the local pose back
    into the image with the box centre truncated to integers, as the original's inference.

    The statistics are buffers, so a checkpoint carries those its model was trained with (the
    pose head saves and loads them as ``pose_head.pose_mean`` / ``pose_stddev``).

    Args:
        pose_mean, pose_stddev: 6 numbers each, or a ``.npy`` file (the dataset tools'
            output): the statistics of the training set's local poses.
        nearest_rotation: orthogonalise the sheared rotation of the local <-> global step
            (off: the original's quaternion of the sheared matrix, which its checkpoints
            expect).
    """

    def __init__(self, pose_mean, pose_stddev, nearest_rotation=False):
        super().__init__()
        for name, value in (('pose_mean', pose_mean), ('pose_stddev', pose_stddev)):
            self.register_buffer(
                name, torch.as_tensor(load_array(value, (6, ), name), dtype=torch.float32))
        self.nearest_rotation = nearest_rotation

    def normalize(self, local):
        """Local poses (N,6) -> the network's normalised units."""
        return (local - self.pose_mean) / self.pose_stddev

    def denormalize(self, pred):
        """Normalised poses (N,6) -> local poses, in the dtype of ``pred``."""
        return pred * self.pose_stddev + self.pose_mean

    def local_poses(self, poses, boxes, image_wh):
        """Global poses (N,6) -> local poses in ``boxes`` (N,4) of images of size ``image_wh``
        ((2,) or (N,2)), computed in float64 and returned in the dtype of ``poses``. The box
        centre keeps its fraction, as the original's training targets."""
        local = pose_full_image_to_bbox(poses.double(), image_wh, boxes,
                                        nearest_rotation=self.nearest_rotation)
        return local.to(poses.dtype)

    def encode(self, poses, boxes, image_wh):
        """Global poses (N,6) -> normalised local poses in ``boxes`` (N,4): the targets."""
        return self.normalize(self.local_poses(poses, boxes, image_wh))

    def decode(self, pred, boxes, image_wh):
        """Normalised local poses (N,6) in ``boxes`` (N,4) -> global poses in an image of size
        ``image_wh`` (2,). De-normalised in the dtype of ``pred`` (the network's float32, as
        the original), then moved in the dtype of ``image_wh`` (float64 in the pose head, as
        the original's numpy; float32 in the ONNX export)."""
        local = self.denormalize(pred).to(image_wh.dtype)
        return pose_bbox_to_full_image(local, image_wh, boxes, integer_principal_point=True,
                                       nearest_rotation=self.nearest_rotation)
