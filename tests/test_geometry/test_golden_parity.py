"""Parity with the original img2pose geometry code on its own golden vectors."""
import numpy as np
import pytest
import torch

from mmpose6d import geometry as g


def _rows(golden):
    return range(len(golden['box']))


def _per_face(fn, golden, *keys, **kwargs):
    return np.stack([
        fn(*[golden[k][i:i + 1] if k != 'img_wh' else golden[k][i] for k in keys], **kwargs)[0]
        for i in _rows(golden)
    ])


def test_local_to_global(golden):
    out = _per_face(g.pose_bbox_to_full_image, golden, 'local_pose', 'img_wh', 'box')
    np.testing.assert_allclose(out, golden['global_from_local'], rtol=0, atol=1e-6)


def test_global_to_local(golden):
    out = _per_face(g.pose_full_image_to_bbox, golden, 'global_from_local', 'img_wh', 'box')
    np.testing.assert_allclose(out, golden['local_from_global'], rtol=0, atol=1e-6)


def test_box_from_pose(golden):
    out = np.stack([
        g.pose_to_bbox(golden['global_from_local'][i:i + 1], golden['img_wh'][i],
                       golden['ref68'])[0] for i in _rows(golden)
    ])
    np.testing.assert_array_equal(out, golden['proj_box'])


def test_euler(golden):
    out = g.rotvec_to_euler(golden['global_from_local'][:, :3])
    np.testing.assert_allclose(out, golden['euler'], rtol=0, atol=1e-6)


@pytest.mark.parametrize('points', [68, 5])
def test_pnp_local(golden, points):
    out = g.pose_from_landmarks(golden[f'lm{points}'], golden['box'], golden[f'ref{points}'])
    np.testing.assert_allclose(out, golden[f'pnp{points}_local'], rtol=0, atol=1e-6)


def test_pnp_global(golden):
    out = np.stack([
        g.global_pose_from_landmarks(golden['lm68'][i:i + 1], golden['box'][i:i + 1],
                                     golden['img_wh'][i], golden['ref68'])[0]
        for i in _rows(golden)
    ])
    np.testing.assert_allclose(out, golden['pnp68_global'], rtol=0, atol=1e-6)


def test_bbox_voting(golden):
    keys = sorted(k for k in golden if k.startswith('vote_in_'))
    assert len(keys) == 20
    for key in keys:
        expected = golden[key.replace('_in_', '_out_')]
        out = g.bbox_voting(golden[key], iou_thr=0.6)
        assert out.shape == expected.shape, key
        np.testing.assert_allclose(out, expected, rtol=0, atol=1e-6, err_msg=key)


def test_torch_path_matches_numpy(golden):
    """The torch path runs the same definition: same numbers, torch out."""
    i = 7
    poses = torch.tensor(golden['local_pose'][i:i + 1])
    out = g.pose_bbox_to_full_image(poses, torch.tensor(golden['img_wh'][i]),
                                    torch.tensor(golden['box'][i:i + 1]))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), golden['global_from_local'][i:i + 1], atol=1e-6)
    boxes = g.pose_to_bbox(torch.tensor(golden['global_from_local'][i:i + 1]),
                           torch.tensor(golden['img_wh'][i]), torch.tensor(golden['ref68']))
    np.testing.assert_array_equal(boxes.numpy(), golden['proj_box'][i:i + 1])
