"""Pose labels from the current landmarks, and boxes derived from those poses."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.structures.bbox import HorizontalBoxes

from mmpose6d.registry import TRANSFORMS

from ...geometry import FaceModel, check_solve_in, labels_from_landmarks
from ..skip_counter import SKIPS
from .instances import count_reasons, mask_and_drop


def _no_targets_left(results):
    """Training samples without target faces are counted and dropped (the dataset refetches)."""
    if len(results['gt_bboxes']):
        return results
    SKIPS.add('sample/no_target_faces', f'{results.get("img_path")}: no target face left')
    return None


@TRANSFORMS.register_module()
class PoseLabelsFromLandmarks(BaseTransform):
    """Global pose labels ``gt_poses`` (N,6) float32 by EPnP from the current landmarks.

    Run it after every geometric augmentation: labels depend on the image size
    (``results[image_shape_key]``, (h, w)). 68-point faces are solved with the face model's
    ``reference68``, 5-point faces with its ``reference5`` (``face_model``:
    :class:`~mmpose6d.geometry.FaceModel`'s arguments, None: its defaults). Faces without
    landmarks and faces whose PnP fails get NaN; in training their box pixels are zeroed
    and they leave the targets (counted ``label/<reason>``), and a sample left without faces
    is dropped (None, counted ``sample/no_target_faces``). With ``test_mode`` everything is
    kept (NaN poses included) and the image is untouched. Test pipelines that load
    annotations after resizing keep them in the original frame: use
    ``image_shape_key='ori_shape'`` there.

    ``solve_in``: ``'box'``, img2pose's training labels (each face solved in its box's own
    camera, then moved into the image); or ``'image'``, each face solved directly in the
    image camera (f = w + h), as img2pose labels 300W-LP and AFLW2000-3D: exact for images
    that camera took, such as the bundled renders, where the box labels are about 7 degrees
    off (``tools/analysis_tools/label_error.py``).
    """

    def __init__(self, face_model=None, test_mode=False, image_shape_key='img_shape',
                 solve_in='box'):
        check_solve_in(solve_in)  # refused here, before any image is read
        self.solve_in = solve_in
        self.face_model = face_model
        face = FaceModel.build(face_model)
        self.references = {68: face.reference68, 5: face.reference5}
        self.test_mode = test_mode
        self.image_shape_key = image_shape_key

    def transform(self, results):
        height, width = results[self.image_shape_key][:2]
        boxes = results['gt_bboxes'].numpy()
        landmarks, num = results['gt_landmarks'], results['gt_num_landmarks']
        poses = np.full((len(boxes), 6), np.nan)
        reasons = np.full(len(boxes), 'label/unlabelled_face', dtype=object)
        for p, reference in self.references.items():
            rows = num == p
            if rows.any():
                poses[rows], why = labels_from_landmarks(
                    landmarks[rows, :p], boxes[rows], (width, height), reference,
                    self.solve_in, return_reasons=True)
                reasons[rows] = [f'label/{r}' if r else '' for r in why]
        results['gt_poses'] = poses.astype(np.float32)
        failed = np.isnan(poses).any(1)
        source = results.get('img_path', '')
        if self.test_mode:
            count_reasons(reasons[failed], source)
            return results
        mask_and_drop(results, failed, reasons, source)
        return _no_targets_left(results)

    def __repr__(self):
        return (f'{self.__class__.__name__}(face_model={self.face_model!r}, '
                f'test_mode={self.test_mode}, image_shape_key={self.image_shape_key!r}, '
                f'solve_in={self.solve_in!r})')


@TRANSFORMS.register_module()
class BoxesFromPoses(BaseTransform):
    """Replace each target box by the face model's box of its global pose in the current
    image size (:meth:`~mmpose6d.geometry.FaceModel.target_boxes`, as the validation loss),
    the targets img2pose trains with; ``face_model``: :class:`~mmpose6d.geometry.FaceModel`'s
    arguments (None: its defaults).

    Faces with a NaN pose keep their box. A face whose projected box is empty (it left the
    image) is masked and removed (``boxes/empty_projected_box``); a sample left without faces
    is dropped (None), so use it in training pipelines only.
    """

    def __init__(self, face_model=None):
        self.face_model = face_model
        self.face = FaceModel.build(face_model)

    def transform(self, results):
        poses = results['gt_poses'].astype(np.float64)
        valid = np.isfinite(poses).all(1)
        if not valid.any():
            return _no_targets_left(results)
        height, width = results['img_shape'][:2]
        projected, targets = self.face.target_boxes(poses, np.array([width, height], np.float64))
        boxes = np.where(valid[:, None], projected, results['gt_bboxes'].numpy())
        empty = valid & ~targets
        # masks the annotated box: the face is in the image even if its projection is not
        mask_and_drop(results, empty, np.full(len(empty), 'boxes/empty_projected_box'),
                      results.get('img_path', ''))
        results['gt_bboxes'] = HorizontalBoxes(boxes[~empty], dtype=results['gt_bboxes'].dtype)
        return _no_targets_left(results)

    def __repr__(self):
        return f'{self.__class__.__name__}(face_model={self.face_model!r})'
