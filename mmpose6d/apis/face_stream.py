"""Video frames one at a time through an img2pose inferencer: faces tracked, poses smoothed,
Euler angles continuous (``Img2PoseInferencer.stream``)."""
import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from ..tracking import FaceTracker


class FaceStream:
    """The faces of one video, frame after frame, with track IDs and smoothed poses.

    Each frame goes through the inferencer (faces scoring at most ``pred_score_thr``
    dropped), then through a :class:`~mmpose6d.tracking.FaceTracker`. Made by
    :meth:`Img2PoseInferencer.stream <mmpose6d.apis.Img2PoseInferencer.stream>`.

    Args:
        inferencer: an :class:`~mmpose6d.apis.Img2PoseInferencer`.
        pred_score_thr: the inferencer's score threshold.
        pose_keys: the pose arrays to track and smooth; ``'poses'`` (the model's camera,
            whose smoothed pose gives the boxes and landmarks) must be one of them. None:
            ``'poses'``, and ``'camera_poses'`` when the faces carry poses in a camera of
            the user's.
        **tracker_args: :class:`~mmpose6d.tracking.FaceTracker`'s other arguments
            (``smooth=False``: tracks only; ``fps``, the filters, the gates, ...).
    """

    def __init__(self, inferencer, pred_score_thr=0.5, pose_keys=None, **tracker_args):
        if pose_keys is not None and 'poses' not in pose_keys:
            raise ValueError(f"pose_keys must include 'poses' (the boxes and landmarks of the "
                             f"smoothed faces come from it), got {pose_keys!r}")
        self.inferencer = inferencer
        self.pred_score_thr = pred_score_thr
        self.pose_keys = None if pose_keys is None else tuple(pose_keys)
        self.tracker_args = tracker_args
        FaceTracker(**tracker_args)  # check the arguments now
        self.reset()

    def reset(self):
        """Start a new video: no tracks, IDs from 1, time from 0."""
        self.tracker = None

    def __call__(self, frame, timestamp=None):
        """The faces of one BGR frame (H,W,3) taken at ``timestamp`` (seconds; None: the frame
        count over ``fps``); see :meth:`track`."""
        if not (isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] == 3):
            raise ValueError(f'frame must be a BGR image array (H, W, 3), got '
                             f'{type(frame).__name__} of shape {np.shape(frame)}')
        show_progress = self.inferencer.show_progress
        self.inferencer.show_progress = False  # no progress bar for each frame
        try:
            prediction = self.inferencer(frame, pred_score_thr=self.pred_score_thr,
                                         return_points5=True)['predictions'][0]
        finally:
            self.inferencer.show_progress = show_progress
        return self.track(prediction, timestamp)

    def track(self, prediction, timestamp=None):
        """Track one frame's prediction dict (as the inferencer returns it).

        Returns numpy arrays of the tracked faces (a face that starts no track is left out,
        see ``new_track_score``): the prediction's own (``bboxes``, ``scores``, ``poses``,
        ``euler``, ``landmarks``, ...: the detections as they are), ``ori_shape``, and
        ``track_ids`` (M,), ``ages``, ``hits``; ``smoothed_poses`` (M,6),
        ``continuous_euler`` (M,3) (pitch, yaw, roll of the smoothed pose, continuous from
        frame to frame), ``smoothed_bboxes`` (M,4), ``smoothed_landmarks`` (M,68,2) and
        ``smoothed_landmarks5`` (M,5,2) of the smoothed pose, and with ``camera_poses``
        tracked ``smoothed_camera_poses``, ``continuous_camera_euler`` and (with the
        faces' ``distance_mm``) ``smoothed_translation_mm``, ``smoothed_distance_mm``.
        """
        faces = {key: np.asarray(value) for key, value in prediction.items()}
        if self.tracker is None:
            camera = ('camera_poses', ) if 'camera_poses' in faces else ()
            keys = self.pose_keys or ('poses', ) + camera
            self.tracker = FaceTracker(pose_keys=keys, **self.tracker_args)
        tracked = self.tracker.update(faces, timestamp)
        count = len(faces['scores'])
        out = {key: value[tracked['indices']] if value.ndim and len(value) == count and
               key != 'ori_shape' else value for key, value in faces.items()}
        out.update((key, value) for key, value in tracked.items() if key != 'indices')
        out.update(self._projected(tracked['smoothed_poses'], faces['ori_shape']))
        if 'smoothed_camera_poses' in out and 'distance_mm' in out:
            out.update(self._millimetres(out))
        return out

    @staticmethod
    def _millimetres(faces):
        """The smoothed translation in the user's camera in millimetres, at the scale of the
        faces' own (``distance_mm`` over the length of their ``camera_poses`` translation)."""
        scale = faces['distance_mm'] / np.linalg.norm(faces['camera_poses'][:, 3:], axis=1)
        translation = faces['smoothed_camera_poses'][:, 3:] * scale[:, None]
        return dict(smoothed_translation_mm=translation,
                    smoothed_distance_mm=np.linalg.norm(translation, axis=1))

    def _projected(self, poses, ori_shape):
        """Boxes and projected references of global poses (M,6) in an image of ``ori_shape``
        (h, w), with the model's face model."""
        face_model = self.inferencer.model.face_model
        device = face_model.reference68.device
        poses = torch.as_tensor(poses, dtype=torch.float64, device=device)
        image_wh = torch.tensor([ori_shape[1], ori_shape[0]], dtype=torch.float64,
                                device=device)
        outputs = face_model.face_outputs(poses, image_wh)
        return dict(smoothed_bboxes=face_model.boxes(poses, image_wh).cpu().numpy(),
                    smoothed_landmarks=outputs['landmarks'].cpu().numpy(),
                    smoothed_landmarks5=outputs['landmarks5'].cpu().numpy())

    def draw(self, frame, faces):
        """``frame`` (BGR) with the tracked ``faces`` (from :meth:`__call__`) drawn by the
        inferencer's visualizer: smoothed box, track ID and score, smoothed pose axes (and
        landmarks or mesh if the visualizer draws them); a new BGR image."""
        instances = InstanceData(
            bboxes=torch.as_tensor(faces['smoothed_bboxes'], dtype=torch.float32),
            scores=torch.as_tensor(faces['scores'], dtype=torch.float32).reshape(-1),
            labels=torch.zeros(len(faces['track_ids']), dtype=torch.int64),
            poses=torch.as_tensor(faces['smoothed_poses'], dtype=torch.float64),
            landmarks=torch.as_tensor(faces['smoothed_landmarks'], dtype=torch.float32),
            track_ids=torch.as_tensor(faces['track_ids'], dtype=torch.int64))
        sample = DetDataSample(pred_instances=instances)
        visualizer = self.inferencer.visualizer
        visualizer.add_datasample('frame', np.ascontiguousarray(frame[..., ::-1]), sample,
                                  draw_gt=False, pred_score_thr=-np.inf)
        return np.ascontiguousarray(visualizer.get_image()[..., ::-1])
