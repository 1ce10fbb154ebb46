"""Every geometry function makes its tensors on its inputs' device and dtype.

PyTorch's ``meta`` device refuses to mix with CPU tensors as CUDA does, so these run on a
CPU-only machine and fail where a function builds a tensor on the default device (as
``pose_to_bbox``'s box factors once did: every prediction on CUDA raised).
"""
import pytest
import torch

from mmpose6d import geometry as g

N = 5


def _meta(*shape, dtype=torch.float64):
    return torch.zeros(*shape, dtype=dtype, device='meta')


CASES = {
    'pose_to_bbox': lambda: g.pose_to_bbox(_meta(N, 6), _meta(2), _meta(68, 3)),
    'landmarks_to_bbox': lambda: g.landmarks_to_bbox(_meta(N, 68, 2), _meta(N), _meta(2)),
    'pose_bbox_to_full_image': lambda: g.pose_bbox_to_full_image(
        _meta(N, 6), _meta(2), _meta(N, 4), integer_principal_point=True),
    'pose_full_image_to_bbox': lambda: g.pose_full_image_to_bbox(_meta(N, 6), _meta(N, 2),
                                                                 _meta(N, 4)),
    'nearest_rotation_variant': lambda: g.pose_bbox_to_full_image(
        _meta(N, 6), _meta(2), _meta(N, 4), nearest_rotation=True),
    'local_intrinsics': lambda: g.local_intrinsics(_meta(N, 4)),
    'image_intrinsics': lambda: g.image_intrinsics(_meta(()), _meta(())),
    'project_points': lambda: g.project_points(_meta(68, 3), _meta(N, 6), _meta(3, 3)),
    'rotvec_to_euler': lambda: g.rotvec_to_euler(_meta(N, 3)),
    'euler_to_rotvec': lambda: g.euler_to_rotvec(_meta(N, 3)),
    'matrix_to_euler': lambda: g.matrix_to_euler(_meta(N, 3, 3)),
    'rotation_angle_deg': lambda: g.rotation_angle_deg(_meta(N, 3), _meta(N, 3)),
    'wrap_degrees': lambda: g.wrap_degrees(_meta(N, 3)),
    'box_iou': lambda: g.box_iou(_meta(N, 4), _meta(3, 4), plus_one=True),
    'flip_boxes': lambda: g.flip_boxes(_meta(N, 4), 640),
    'flip_landmarks': lambda: g.flip_landmarks(_meta(N, 68, 2), 640),
    'flip_poses': lambda: g.flip_poses(_meta(N, 6)),
    'FaceModel.boxes': lambda: _face_model().boxes(_meta(N, 6), _meta(2)),
    'FaceModel.target_boxes': lambda: _face_model().target_boxes(_meta(N, 6), _meta(2))[1],
    'FaceModel.face_outputs': lambda: _face_model().face_outputs(_meta(N, 6),
                                                                 _meta(2))['landmarks5'],
    'FaceModel with meta references': lambda: g.FaceModel(
        _meta(68, 3, dtype=torch.float32), _meta(5, 3, dtype=torch.float32)).boxes(
            _meta(N, 6), _meta(2)),
}


def _face_model():
    """The default face model: numpy references, made into tensors on the poses' device."""
    return g.FaceModel()


@pytest.mark.parametrize('name', list(CASES))
def test_runs_on_the_inputs_device(name):
    out = CASES[name]()
    assert out.device.type == 'meta'


def test_float32_stays_float32_on_the_device():
    boxes = g.pose_to_bbox(_meta(N, 6, dtype=torch.float32), _meta(2, dtype=torch.float32),
                           _meta(68, 3, dtype=torch.float32))
    assert boxes.dtype == torch.float32 and boxes.shape == (N, 4)
