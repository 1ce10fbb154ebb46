"""FaceModel: the one definition of the face's references and box rule, on numpy and torch."""
import numpy as np
import pytest
import torch

from mmpose6d import geometry as g
from mmpose6d.utils.array_io import load_reference

W, H = 640.0, 480.0
#: a face in the image, one behind its left border (an empty box), one without a label
POSES = np.array([[0.1, -0.2, 0.05, 0.3, -0.2, 12.0], [0.0, 0.1, 0.0, -30.0, 0.0, 10.0],
                  [np.nan] * 6])


def test_defaults_and_build(tmp_path):
    face = g.FaceModel()
    np.testing.assert_array_equal(face.reference68, load_reference('pose_references/ref68.npy'))
    np.testing.assert_array_equal(face.reference5, load_reference('pose_references/ref5.npy'))
    assert face.box_factors == dict(x_factor=1.1, y_factor=1.1, forehead=0.3)
    assert g.FaceModel.build(face) is face
    assert g.FaceModel.build(None).box_factors == face.box_factors
    np.save(tmp_path / 'ref68.npy', 2 * face.reference68)
    built = g.FaceModel.build(dict(reference68=str(tmp_path / 'ref68.npy'), forehead=0.5))
    np.testing.assert_array_equal(built.reference68, 2 * face.reference68)
    assert built.box_factors['forehead'] == 0.5
    with pytest.raises(ValueError, match='reference5'):
        g.FaceModel(reference5=np.zeros((68, 3)))


def test_boxes_are_the_golden_boxes_from_pose(golden):
    face = g.FaceModel(golden['ref68'], golden['ref5'])
    out = np.stack([face.boxes(golden['global_from_local'][i:i + 1], golden['img_wh'][i])[0]
                    for i in range(len(golden['box']))])
    np.testing.assert_array_equal(out, golden['proj_box'])


def test_target_boxes():
    """Each face's box; targets: labelled faces whose box is not empty. Numpy in, float64
    numpy out; tensors in, tensors of their dtype out, with the same values."""
    face = g.FaceModel()
    boxes, targets = face.target_boxes(POSES, np.array([W, H]))
    assert boxes.dtype == np.float64 and targets.dtype == bool
    assert targets.tolist() == [True, False, False]
    np.testing.assert_array_equal(boxes[0], face.boxes(POSES[:1], np.array([W, H]))[0])
    assert (boxes[1, 0] == boxes[1, 2] == 0) and np.isnan(boxes[2]).all()
    t_boxes, t_targets = face.target_boxes(torch.tensor(POSES), torch.tensor([W, H]))
    assert t_boxes.dtype == torch.float64 and t_targets.tolist() == targets.tolist()
    np.testing.assert_array_equal(t_boxes.numpy(), boxes)


def test_tensor_references_are_used_in_the_poses_dtype():
    """The model's float32 reference buffers, with float64 poses: the geometry runs in
    float64 on the float32 values (the head's buffers as the original's)."""
    face = g.FaceModel()
    ref32 = torch.tensor(face.reference68, dtype=torch.float32)
    model_face = g.FaceModel(ref32, torch.tensor(face.reference5, dtype=torch.float32))
    assert model_face.reference68 is ref32
    poses = torch.tensor(POSES[:1])
    expected = g.pose_to_bbox(poses, torch.tensor([W, H], dtype=torch.float64), ref32.double())
    torch.testing.assert_close(model_face.boxes(poses, torch.tensor([W, H])), expected,
                               rtol=0, atol=0)


def test_face_outputs():
    face = g.FaceModel()
    poses = torch.tensor(POSES[:1], dtype=torch.float32)
    out = face.face_outputs(poses, torch.tensor([W, H]))
    assert all(v.dtype == torch.float32 for v in out.values())
    k_img = g.image_intrinsics(W, H)
    np.testing.assert_allclose(out['landmarks'].numpy(),
                               g.project_points(face.reference68, POSES[:1], k_img), atol=1e-3)
    np.testing.assert_allclose(out['landmarks5'].numpy(),
                               g.project_points(face.reference5, POSES[:1], k_img), atol=1e-3)
    np.testing.assert_allclose(out['euler'].numpy(), g.rotvec_to_euler(POSES[:1, :3]),
                               atol=1e-4)
