"""PackPoseDetInputs and PhotometricNoise."""
import numpy as np
import torch

from mmpose6d.datasets.transforms import (PackPoseDetInputs, PhotometricNoise,
                                          PoseLabelsFromLandmarks, PoseResize)


def test_pack_poses_landmarks_and_meta(synth):
    results = PoseResize(scale=(640, 320), keep_ratio=True)(synth.results())
    results = PoseLabelsFromLandmarks(synth.path68, synth.path5)(results)
    packed = PackPoseDetInputs()(results)
    sample = packed['data_samples']
    assert packed['inputs'].shape == (3, 320, 427) and packed['inputs'].dtype == torch.uint8
    gt = sample.gt_instances
    assert gt.poses.dtype == torch.float32 and gt.poses.shape == (2, 6)
    np.testing.assert_array_equal(gt.poses.numpy(), results['gt_poses'])
    assert gt.landmarks.shape == (2, 68, 2) and gt.num_landmarks.tolist() == [68, 5]
    assert gt.bboxes.tensor.shape == (2, 4) and gt.labels.tolist() == [0, 0]
    meta = sample.metainfo
    assert meta['img_shape'] == (320, 427) and meta['ori_shape'] == (360, 480)
    assert meta['img_path'] == 'scene.jpg'
    np.testing.assert_allclose(meta['scale_factor'], (427 / 480, 320 / 360))


def test_photometric_noise(synth):
    img = synth.results()['img']
    np.random.seed(0)
    unchanged = PhotometricNoise(prob=0.0)(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(unchanged, img)
    out = PhotometricNoise(prob=1.0, gray_prob=1.0, noise_std=10, noise_prob=1.0)(
        dict(img=img.copy()))['img']
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()
    np.random.seed(1)
    noisy = PhotometricNoise(prob=1.0, contrast=0.0, brightness=0.0, noise_std=10,
                             noise_prob=1.0, gray_prob=0.0)(dict(img=img.copy()))['img']
    diff = noisy.astype(float) - img
    assert 0 < diff.std() < 11 and abs(diff.mean()) < 1
