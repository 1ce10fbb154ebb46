"""mmdet's local visualizer drawing img2pose faces: box, score, pose axes; landmarks and a
mesh on request."""
from itertools import repeat

import numpy as np
from mmdet.visualization import DetLocalVisualizer

from ..geometry import FaceModel, image_intrinsics, to_numpy
from ..registry import VISUALIZERS
from .draw import draw_boxes, draw_mesh, draw_points, draw_pose_axes, reference_triangles


@VISUALIZERS.register_module()
class Img2PoseLocalVisualizer(DetLocalVisualizer):
    """Draws each face so that it stays visible: its box (thin, in the dataset palette's
    colour) with the score as ``0.93`` (``#3 0.93`` for instances with ``track_ids``), and,
    for instances with ``poses`` (N,6), the pose axes (x red, y green, z blue) from the
    face's reference origin, projected by the camera ``image_intrinsics(w, h)`` of the drawn
    image. On request, for instances with
    ``landmarks`` (N,68,2) (the model's projected references, or annotated ones): the points
    and a translucent mesh. Used by ``tools/test.py --show-dir``, the
    inferencer and the demos.

    Args:
        face_model: :class:`~mmpose6d.geometry.FaceModel`'s arguments (None: its defaults):
            the triangulation of its 68-point reference makes the mesh, its extent the axis
            length; the inferencer sets the model's own (:meth:`set_face_model`).
        draw_landmarks, draw_axes, draw_mesh: what to draw for each face besides its box.
        landmark_color, mesh_color, mesh_edge_color: RGB colours (edge None: no edges).
        landmark_radius, axis_thickness, box_thickness: in pixels; mesh_alpha: the fill's
            opacity.
        **kwargs: :class:`DetLocalVisualizer`'s arguments.
    """

    def __init__(self,
                 name='visualizer',
                 face_model=None,
                 draw_landmarks=False,
                 draw_axes=True,
                 draw_mesh=False,
                 landmark_color=(255, 255, 0),
                 landmark_radius=1,
                 axis_thickness=2,
                 box_thickness=2,
                 mesh_color=(255, 255, 255),
                 mesh_alpha=0.35,
                 mesh_edge_color=(200, 200, 200),
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.set_face_model(face_model)
        self.draw_landmarks = draw_landmarks
        self.draw_axes = draw_axes
        self.draw_mesh = draw_mesh
        self.landmark_color = tuple(landmark_color)
        self.landmark_radius = landmark_radius
        self.axis_thickness = axis_thickness
        self.box_thickness = box_thickness
        self.mesh_color = tuple(mesh_color)
        self.mesh_alpha = mesh_alpha
        self.mesh_edge_color = None if mesh_edge_color is None else tuple(mesh_edge_color)

    def set_face_model(self, face_model):
        """Draw with another face model (a :class:`~mmpose6d.geometry.FaceModel` or its
        arguments)."""
        self.reference68 = to_numpy(FaceModel.build(face_model).reference68, np.float64)
        self.triangles = reference_triangles(self.reference68)

    def _draw_instances(self, image, instances, classes, palette):
        """Boxes with scores, then mesh, landmarks and axes of posed instances; RGB in and
        out."""
        bgr = np.ascontiguousarray(image[..., ::-1])  # the draw functions take BGR
        if not len(instances):
            return image
        color = tuple(palette[0]) if palette else (66, 165, 245)
        if 'bboxes' in instances:
            texts = [f'{s:.2f}' for s in np.asarray(instances.scores)] \
                if 'scores' in instances else None
            if 'track_ids' in instances:
                texts = [f'#{i} {t}' if t else f'#{i}'
                         for i, t in zip(np.asarray(instances.track_ids), texts or repeat(''))]
            draw_boxes(bgr, np.asarray(instances.bboxes), color[::-1], self.box_thickness,
                       texts)
        if 'landmarks' in instances:
            points = np.asarray(instances.landmarks, dtype=np.float64)
            if self.draw_mesh and points.shape[1:] == (68, 2):
                draw_mesh(bgr, points, self.triangles, self.mesh_color[::-1],
                          self.mesh_alpha, self.mesh_edge_color and self.mesh_edge_color[::-1])
            if self.draw_landmarks:
                draw_points(bgr, points, self.landmark_color[::-1], self.landmark_radius)
        if 'poses' in instances:
            poses = np.asarray(instances.poses, dtype=np.float64)
            height, width = bgr.shape[:2]
            k_img = image_intrinsics(width, height)
            if self.draw_axes:
                draw_pose_axes(bgr, poses, k_img, self.reference68,
                               thickness=self.axis_thickness)
        return np.ascontiguousarray(bgr[..., ::-1])
