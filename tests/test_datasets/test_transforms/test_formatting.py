"""PackPoseDetInputs: poses, landmarks and the meta keys packed into a DetDataSample."""
import numpy as np
import torch

from mmpose6d.datasets.transforms import POSE_META_KEYS, PackPoseDetInputs, PoseResize
from mmpose6d.registry import TRANSFORMS

POSES = np.array([[0.1, -0.2, 0.05, -1.6, -0.3, 9.0], [-0.1, 0.3, -0.1, 1.5, 0.4, 10.0],
                  [0.0, 0.0, 0.0, 0.0, 0.0, 5.0]], np.float32)


def test_pack_poses_landmarks_and_meta(synth):
    results = PoseResize(scale=(640, 320), keep_ratio=True)(synth.results())
    results['gt_poses'] = POSES
    packed = PackPoseDetInputs()(results)
    sample = packed['data_samples']
    assert packed['inputs'].shape == (3, 320, 427) and packed['inputs'].dtype == torch.uint8
    np.testing.assert_array_equal(packed['inputs'].permute(1, 2, 0).numpy(), results['img'])
    gt = sample.gt_instances
    assert gt.poses.dtype == torch.float32 and gt.poses.shape == (3, 6)
    np.testing.assert_array_equal(gt.poses.numpy(), POSES)
    assert gt.landmarks.shape == (3, 68, 2) and gt.num_landmarks.tolist() == [68, 5, 0]
    np.testing.assert_array_equal(gt.landmarks.numpy(), results['gt_landmarks'])
    assert gt.bboxes.tensor.shape == (3, 4) and gt.labels.tolist() == [0, 0, 0]
    meta = sample.metainfo
    assert set(meta) == set(POSE_META_KEYS) & set(results)
    assert meta['img_shape'] == (320, 427) and meta['ori_shape'] == (360, 480)
    assert meta['img_path'] == 'scene.jpg'
    np.testing.assert_allclose(meta['scale_factor'], (427 / 480, 320 / 360))


def test_ignored_faces_keep_their_poses_apart(synth):
    """mmdet's ignore flags split every mapped field, poses included, row for row."""
    results = synth.results()
    results['gt_poses'] = POSES
    results['gt_ignore_flags'] = np.array([False, True, False])
    sample = PackPoseDetInputs()(results)['data_samples']
    np.testing.assert_array_equal(sample.gt_instances.poses.numpy(), POSES[[0, 2]])
    np.testing.assert_array_equal(sample.ignored_instances.poses.numpy(), POSES[[1]])
    assert sample.gt_instances.num_landmarks.tolist() == [68, 0]
    assert sample.ignored_instances.num_landmarks.tolist() == [5]


def test_extra_meta_keys_add_to_the_default():
    """``extra_meta_keys`` (a benchmark's ``gt_euler``) extend POSE_META_KEYS; keys absent
    from the results are left out; an image without faces packs empty instances."""
    pack = TRANSFORMS.build(dict(type='PackPoseDetInputs', extra_meta_keys=['gt_euler']))
    assert pack.meta_keys == POSE_META_KEYS + ('gt_euler', )
    img = np.zeros((4, 6, 3), np.uint8)
    euler = np.array([10.0, -20.0, 5.0])
    packed = pack(dict(img=img, img_shape=(4, 6), img_path='a.jpg', gt_euler=euler))
    meta = packed['data_samples'].metainfo
    assert set(meta) == {'img_shape', 'img_path', 'gt_euler'}
    np.testing.assert_array_equal(meta['gt_euler'], euler)
    assert packed['inputs'].shape == (3, 4, 6)
    assert len(packed['data_samples'].gt_instances) == 0
