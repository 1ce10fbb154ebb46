"""LocalPoseCoder: the pose branch's targets and decoding against the original geometry."""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from mmpose6d import geometry as g
from mmpose6d.models.task_modules import LocalPoseCoder
from mmpose6d.registry import TASK_UTILS

MEAN = [0.01, -0.02, 0.0, 0.1, -0.1, 6.0]
STDDEV = [0.3, 0.5, 0.3, 0.05, 0.05, 1.5]


@pytest.fixture
def coder():
    return LocalPoseCoder(MEAN, STDDEV)


def _tensors(golden, *keys, dtype=torch.float64):
    return [torch.tensor(golden[k], dtype=dtype) for k in keys]


def test_built_from_the_config_with_statistics_from_files(tmp_path):
    init_default_scope('mmpose6d')
    np.save(tmp_path / 'stddev.npy', STDDEV)
    coder = TASK_UTILS.build(dict(type='LocalPoseCoder', pose_mean=MEAN,
                                  pose_stddev=str(tmp_path / 'stddev.npy')))
    assert coder.pose_stddev.tolist() == pytest.approx(STDDEV)
    assert coder.pose_mean.dtype == torch.float32 and not coder.nearest_rotation
    with pytest.raises(ValueError, match='pose_mean is not set'):
        LocalPoseCoder(None, STDDEV)


def test_encode_gives_the_golden_local_poses_normalised(coder, golden):
    """Targets: the original's global -> local step in each box (N boxes, N image sizes),
    then ``(local - mean) / stddev``."""
    poses, boxes, image_wh = _tensors(golden, 'global_from_local', 'box', 'img_wh')
    targets = coder.encode(poses, boxes, image_wh)
    expected = (golden['local_from_global'] - np.float32(MEAN)) / np.float32(STDDEV)
    np.testing.assert_allclose(targets.numpy(), expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(coder.denormalize(targets).numpy(), golden['local_from_global'],
                               rtol=0, atol=1e-6)


def test_decode_gives_the_golden_global_poses(coder, golden):
    local, boxes, image_wh = _tensors(golden, 'local_pose', 'box', 'img_wh')
    for i in range(len(local)):
        out = coder.decode(coder.normalize(local[i:i + 1]), boxes[i:i + 1], image_wh[i])
        np.testing.assert_allclose(out.numpy(), golden['global_from_local'][i:i + 1], rtol=0,
                                   atol=1e-6)


def test_decode_truncates_the_box_centre_and_encode_does_not(coder):
    """The original's inference truncates the box centre to an integer; its targets keep the
    fraction. A box shifted by half a pixel (same size) has that integer centre."""
    image_wh = torch.tensor([640.0, 480.0], dtype=torch.float64)
    box = torch.tensor([[210.5, 120.5, 310.7, 240.9]], dtype=torch.float64)
    shifted = box - 0.5  # centre (260.5, 180.5) -> (260, 180)
    pred = torch.tensor([[0.2, -0.4, 0.1, 0.3, -0.2, 0.5]], dtype=torch.float64)
    local = coder.denormalize(pred)
    torch.testing.assert_close(coder.decode(pred, box, image_wh),
                               g.pose_bbox_to_full_image(local, image_wh, shifted))
    poses = coder.decode(pred, box, image_wh)
    torch.testing.assert_close(coder.local_poses(poses, box, image_wh),
                               g.pose_full_image_to_bbox(poses, image_wh, box))
    assert not torch.allclose(coder.local_poses(poses, box, image_wh),
                              coder.local_poses(poses, shifted, image_wh))


@pytest.mark.parametrize('nearest_rotation, max_degrees', [(False, 1.5), (True, 1e-4)])
def test_round_trip(golden, nearest_rotation, max_degrees):
    """encode(decode(x)) gives x back in the golden (integral) boxes, where decode's integer
    centre is encode's: the translation exactly, the rotation exactly with the nearest
    rotation, and up to the original's rotation step, which is not an exact inverse (0.98
    degree at most on the golden faces)."""
    coder = LocalPoseCoder(MEAN, STDDEV, nearest_rotation=nearest_rotation)
    local, boxes, image_wh = _tensors(golden, 'local_pose', 'box', 'img_wh')
    pred = coder.normalize(local)
    poses = torch.cat([coder.decode(pred[i:i + 1], boxes[i:i + 1], image_wh[i])
                       for i in range(len(pred))])
    back = coder.denormalize(coder.encode(poses, boxes, image_wh))
    torch.testing.assert_close(back[:, 3:], local[:, 3:], rtol=1e-9, atol=1e-9)
    assert g.rotation_angle_deg(back[:, :3], local[:, :3]).max() < max_degrees
    # a box centred on the principal point has no shear: the rotation comes back exactly
    image_wh, box = image_wh[0], torch.tensor([[0.0, 0.0, 100.0, 80.0]], dtype=torch.float64)
    box += (image_wh // 2 - torch.tensor([50.0, 40.0], dtype=torch.float64)).repeat(2)
    back = coder.denormalize(coder.encode(coder.decode(pred[:1], box, image_wh), box, image_wh))
    torch.testing.assert_close(back, local[:1], rtol=1e-9, atol=1e-9)


def test_dtypes_and_the_meta_device(coder):
    """Every tensor is made on the inputs' device: on PyTorch's ``meta`` device, which refuses
    CPU tensors as CUDA does. encode keeps the poses' dtype, decode gives the image size's
    (float64 in the pose head, float32 in the ONNX export)."""
    coder = coder.to('meta')
    poses = torch.zeros(5, 6, device='meta')
    boxes = torch.zeros(5, 4, device='meta')
    targets = coder.encode(poses, boxes, torch.zeros(5, 2, device='meta'))
    assert targets.device.type == 'meta' and targets.dtype == torch.float32
    for dtype in (torch.float32, torch.float64):
        out = coder.decode(poses, boxes, torch.zeros(2, dtype=dtype, device='meta'))
        assert out.device.type == 'meta' and out.dtype == dtype and out.shape == (5, 6)
