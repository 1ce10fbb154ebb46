"""The face every img2pose label, box and prediction is measured with: its 3D references and
its box rule, defined once."""
import numpy as np
import torch

from ..utils.array_io import DEFAULT_REFERENCE5, DEFAULT_REFERENCE68, load_array
from ._backend import numpy_or_torch, to_numpy
from .camera import ADULT_IPD_MM, millimetres_per_unit, poses_in_camera
from .pose import image_intrinsics, landmarks_to_bbox, pose_to_bbox, project_points
from .rotation import rotvec_to_euler


@numpy_or_torch
def _targets(poses, boxes):
    """Faces with a pose label (finite pose) whose box is not empty."""
    return (torch.isfinite(poses).all(1) & (boxes[:, 2] > boxes[:, 0]) &
            (boxes[:, 3] > boxes[:, 1]))


class FaceModel:
    """The img2pose face model: the 68-point 3D reference (boxes, landmarks, the PnP of
    68-point labels), the 5-point one (the points loss, the PnP of 5-point labels) and the
    factors of the box rule (:func:`~mmpose6d.geometry.pose_to_bbox`).

    Its defaults are the project's references (``pose_references/``) and the original's
    factors. The labelling steps, the datasets, the metrics and the visualizer take
    ``face_model=dict(...)`` (these arguments); the model holds its own
    (:attr:`mmpose6d.models.Img2Pose.face_model`), whose references a checkpoint may set.

    Args:
        reference68, reference5: (68,3) and (5,3) points: numbers, a ``.npy`` path or tensors
            (kept as they are: the model's buffers).
        x_factor, y_factor, forehead: the box rule's factors.
    """

    def __init__(self, reference68=DEFAULT_REFERENCE68, reference5=DEFAULT_REFERENCE5,
                 x_factor=1.1, y_factor=1.1, forehead=0.3):
        self.reference68 = _reference(reference68, 68, 'reference68')
        self.reference5 = _reference(reference5, 5, 'reference5')
        self.box_factors = dict(x_factor=x_factor, y_factor=y_factor, forehead=forehead)

    @classmethod
    def build(cls, face_model=None):
        """A :class:`FaceModel` from None (the defaults), a dict of its arguments or itself."""
        if isinstance(face_model, cls):
            return face_model
        return cls(**(face_model or {}))

    def boxes(self, poses, image_wh):
        """The face box (N,4) of each global pose (N,6) in an image of size ``image_wh``, in
        the kind, dtype and device of ``poses`` (NaN for a non-finite pose)."""
        return pose_to_bbox(poses, _like(image_wh, poses), _like(self.reference68, poses),
                            **self.box_factors)

    def target_boxes(self, poses, image_wh):
        """The training targets of faces with global poses (N,6): each face's box (N,4) and
        whether it is a target (N,): it has a pose label (a finite pose) and its box is not
        empty (a face whose projection left the image has none). Shared by the training
        pipeline (``BoxesFromPoses``) and the validation loss (``Img2Pose``)."""
        boxes = self.boxes(poses, image_wh)
        return boxes, _targets(poses, boxes)

    def face_outputs(self, poses, image_wh):
        """Per-face outputs of global pose tensors (N,6) in an image of size ``image_wh``:
        ``euler`` (N,3) pitch, yaw, roll in degrees, ``landmarks`` (N,68,2) and
        ``landmarks5`` (N,5,2) the projected references; float32, computed in float64."""
        poses = poses.double()
        image_wh = _like(image_wh, poses)
        k_img = image_intrinsics(image_wh[0], image_wh[1])
        return dict(
            euler=rotvec_to_euler(poses[:, :3]).float(),
            landmarks=project_points(_like(self.reference68, poses), poses, k_img).float(),
            landmarks5=project_points(_like(self.reference5, poses), poses, k_img).float())

    def camera_outputs(self, landmarks, rotvecs, camera, ipd_mm=ADULT_IPD_MM):
        """Per-face outputs in the user's :class:`~mmpose6d.geometry.Camera`, from the
        projected 68-point reference (N,68,2) in the image that camera took (the model's
        ``landmarks``) and initial rotations (N,3) (the model's): ``camera_poses`` (N,6) the
        poses in that camera (:func:`~mmpose6d.geometry.poses_in_camera`), ``camera_euler``
        (N,3) their pitch, yaw, roll in degrees, ``translation_mm`` (N,3) their translation
        in millimetres with the reference scaled to eye centres ``ipd_mm`` apart, and
        ``distance_mm`` (N,) its length: the distance from the camera centre to the
        reference's origin (the landmarks' centroid for the project's references). Float32
        tensors on the landmarks' device, computed in float64."""
        poses = poses_in_camera(landmarks, self.reference68, camera, rotvecs)
        translation_mm = poses[:, 3:] * millimetres_per_unit(self.reference68, ipd_mm)
        return dict(camera_poses=poses.float(), camera_euler=rotvec_to_euler(poses[:, :3]).float(),
                    translation_mm=translation_mm.float(),
                    distance_mm=translation_mm.norm(dim=1).float())

    def camera_boxes(self, poses, image_wh, camera):
        """The face box (N,4) of each pose (N,6) in ``camera`` (its 68 reference points
        projected through it, distortion included, boxed by the box rule), float64 numpy:
        the ground-truth boxes of faces posed in a user's camera."""
        poses = to_numpy(poses, np.float64).reshape(-1, 6)
        points = camera.project(self.reference68, poses)
        return landmarks_to_bbox(points, poses[:, 2], to_numpy(image_wh, np.float64),
                                 **self.box_factors)


def _reference(value, num_points, name):
    if isinstance(value, torch.Tensor):
        return value
    return load_array(value, (num_points, 3), name)


def _like(array, like):
    """``array`` of ``like``'s kind: a tensor of its dtype and device, or float64 numpy."""
    if isinstance(like, torch.Tensor):
        return torch.as_tensor(array, dtype=like.dtype, device=like.device)
    return to_numpy(array, np.float64)
