"""mmdet's local visualizer extended with img2pose faces: pose axes, landmarks and a mesh."""
import numpy as np
from mmdet.visualization import DetLocalVisualizer

from ..geometry import image_intrinsics, project_points
from ..models.utils import load_array
from ..registry import VISUALIZERS
from .draw import draw_mesh, draw_points, draw_pose_axes, reference_triangles


@VISUALIZERS.register_module()
class Img2PoseLocalVisualizer(DetLocalVisualizer):
    """Draws boxes and scores as :class:`DetLocalVisualizer` does, and for every instance
    with a ``poses`` (N,6) field the 68 reference points projected with its global pose
    (camera ``image_intrinsics(w, h)`` of the drawn image), its pose axes and, optionally,
    a translucent mesh of the reference.

    Args:
        reference68: the 68-point 3D reference (array or ``.npy`` path); the inferencer
            replaces it with the model's own (:meth:`set_reference`).
        draw_landmarks, draw_axes, draw_mesh: what to draw for each face.
        landmark_color, mesh_color, mesh_edge_color: RGB colours (edge None: no edges).
        landmark_radius, axis_thickness: in pixels; mesh_alpha: the fill's opacity.
        **kwargs: :class:`DetLocalVisualizer`'s arguments.
    """

    def __init__(self,
                 name='visualizer',
                 reference68='pose_references/ref68.npy',
                 draw_landmarks=True,
                 draw_axes=True,
                 draw_mesh=False,
                 landmark_color=(255, 255, 0),
                 landmark_radius=2,
                 axis_thickness=2,
                 mesh_color=(255, 255, 255),
                 mesh_alpha=0.35,
                 mesh_edge_color=(200, 200, 200),
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.set_reference(reference68)
        self.draw_landmarks = draw_landmarks
        self.draw_axes = draw_axes
        self.draw_mesh = draw_mesh
        self.landmark_color = tuple(landmark_color)
        self.landmark_radius = landmark_radius
        self.axis_thickness = axis_thickness
        self.mesh_color = tuple(mesh_color)
        self.mesh_alpha = mesh_alpha
        self.mesh_edge_color = None if mesh_edge_color is None else tuple(mesh_edge_color)

    def set_reference(self, reference68):
        """Use another 68-point reference (array, tensor or ``.npy`` path)."""
        if hasattr(reference68, 'cpu'):
            reference68 = reference68.cpu().numpy()
        self.reference68 = load_array(reference68, (68, 3), 'reference68')
        self.triangles = reference_triangles(self.reference68)

    def _draw_instances(self, image, instances, classes, palette):
        """Boxes and labels (mmdet), then landmarks, mesh and axes of posed instances; RGB."""
        drawn = super()._draw_instances(image, instances, classes, palette)
        if 'poses' not in instances or not len(instances):
            return drawn
        poses = np.asarray(instances.poses, dtype=np.float64)
        height, width = drawn.shape[:2]
        k_img = image_intrinsics(width, height)
        bgr = np.ascontiguousarray(drawn[..., ::-1])  # the draw functions take BGR
        points = project_points(self.reference68, poses, k_img)
        if self.draw_mesh:
            draw_mesh(bgr, points, self.triangles, self.mesh_color[::-1], self.mesh_alpha,
                      self.mesh_edge_color and self.mesh_edge_color[::-1])
        if self.draw_landmarks:
            draw_points(bgr, points, self.landmark_color[::-1], self.landmark_radius)
        if self.draw_axes:
            draw_pose_axes(bgr, poses, k_img, self.reference68, thickness=self.axis_thickness)
        return np.ascontiguousarray(bgr[..., ::-1])
