"""RandomPoseCrop, RandomPoseFlip, PoseResize: boxes, landmarks and pose labels together."""
import numpy as np
import pytest
from mmcv.transforms import RandomChoiceResize
from mmengine.registry import init_default_scope

from mmpose6d.datasets.transforms import (PoseLabelsFromLandmarks, PoseResize, RandomPoseCrop,
                                          RandomPoseFlip, TorchvisionResize)
from mmpose6d.geometry import flip_poses, global_pose_from_landmarks
from mmpose6d.registry import TRANSFORMS


@pytest.fixture
def labeller(synth):
    return PoseLabelsFromLandmarks(synth.face_model)


def assert_poses_close(actual, expected, rot_tol, rel_tol):
    np.testing.assert_allclose(actual[:, :3], expected[:, :3], atol=rot_tol)
    # translation errors relative to the face's distance
    np.testing.assert_array_less(np.abs(actual[:, 3:] - expected[:, 3:]) / expected[:, 5:],
                                 rel_tol)


def test_flip_twice_is_identity(synth):
    results = synth.results()
    before = {k: results[k].copy() for k in ('img', 'gt_landmarks', 'gt_num_landmarks')}
    boxes = results['gt_bboxes'].numpy().copy()
    flip = RandomPoseFlip(prob=1.0)
    once = flip(results)
    assert once['flip'] and once['flip_direction'] == 'horizontal'
    assert not np.allclose(once['gt_landmarks'][0], before['gt_landmarks'][0])
    twice = flip(once)
    np.testing.assert_array_equal(twice['img'], before['img'])
    np.testing.assert_allclose(twice['gt_bboxes'].numpy(), boxes, atol=1e-4)
    np.testing.assert_allclose(twice['gt_landmarks'], before['gt_landmarks'], atol=1e-4)


def test_flip_mirrors_landmarks_with_permutation(synth):
    results = RandomPoseFlip(prob=1.0)(synth.results())
    width = results['img_shape'][1]
    # the references are mirror-symmetric: the flipped landmarks are the projections of the
    # flipped poses
    np.testing.assert_allclose(results['gt_landmarks'][0],
                               synth.landmarks(flip_poses(synth.pose68)), atol=1e-3)
    np.testing.assert_allclose(results['gt_landmarks'][1, :5],
                               synth.landmarks(flip_poses(synth.pose5), 5), atol=1e-3)
    assert results['gt_bboxes'].numpy()[2].tolist() == [width - 260, 250, width - 200, 330]


def test_flip_relation_of_recomputed_labels(synth, labeller):
    labels = labeller(synth.results())['gt_poses']
    flipped = labeller(RandomPoseFlip(prob=1.0)(synth.results()))['gt_poses']
    # equal up to the integer box / principal point rounding of the mirrored boxes; EPnP on 5
    # points is ill-conditioned (a sub-pixel change can switch its solution), so the 5-point
    # face is only checked coarsely
    assert_poses_close(flipped[:1], flip_poses(labels[:1]), 0.02, 0.01)
    assert_poses_close(flipped[1:], flip_poses(labels[1:]), 0.3, 0.15)
    # existing poses are flipped exactly
    carried = RandomPoseFlip(prob=1.0)(labeller(synth.results()))['gt_poses']
    np.testing.assert_allclose(carried, flip_poses(labels), atol=1e-6)


def test_no_flip_leaves_everything(synth):
    results = synth.results()
    landmarks = results['gt_landmarks'].copy()
    out = RandomPoseFlip(prob=0.0)(results)
    assert out['flip'] is False
    np.testing.assert_array_equal(out['gt_landmarks'], landmarks)


def test_resize_scales_landmarks_and_keeps_global_poses(synth, labeller):
    labels = labeller(synth.results())['gt_poses']
    results = synth.results()
    landmarks = results['gt_landmarks'].copy()
    resized = PoseResize(scale=(1400, 800), keep_ratio=True)(results)
    assert resized['img_shape'] == (800, 1067)
    w_scale, h_scale = resized['scale_factor']
    np.testing.assert_allclose(resized['gt_landmarks'], landmarks * [w_scale, h_scale],
                               rtol=1e-6)
    assert_poses_close(labeller(resized)['gt_poses'], labels, 0.01, 0.01)


@pytest.mark.parametrize('height, width', [(360, 480), (480, 360), (300, 1500), (200, 1000)])
def test_random_choice_resize_short_side_and_long_limit(synth, height, width):
    init_default_scope('mmpose6d')
    resize = TRANSFORMS.build(dict(type='RandomChoiceResize',
                                   scales=[(1400, s) for s in range(640, 801, 32)],
                                   keep_ratio=True, resize_type='PoseResize'))
    assert isinstance(resize, RandomChoiceResize) and isinstance(resize.resize, PoseResize)
    shorts = set()
    for seed in range(30):
        np.random.seed(seed)
        results = synth.results(width=width, height=height)
        landmarks = results['gt_landmarks'][0].copy()
        out = resize(results)
        short, long = min(out['img_shape']), max(out['img_shape'])
        target = 640 + 32 * out['scale_idx']
        assert long <= 1400
        # the short side is the drawn scale unless the long side limit binds
        assert short == target or (long == 1400 and short < target)
        shorts.add(short)
        np.testing.assert_allclose(out['gt_landmarks'][0] / landmarks,
                                   np.broadcast_to(out['scale_factor'], (68, 2)), rtol=1e-5)
    if max(height, width) / min(height, width) < 1400 / 800:
        assert shorts == set(range(640, 801, 32))


def test_crop_keeps_faces_with_centre_inside_and_shifts(synth, labeller, monkeypatch):
    np.random.seed(3)
    crop = RandomPoseCrop(landmark_policy='reject', max_tries=50)
    sampled = []
    sample = crop._sample_crop
    monkeypatch.setattr(crop, '_sample_crop', lambda h, w: sampled.append(sample(h, w)) or
                        sampled[-1])
    offsets, dropped = [], 0
    for _ in range(30):
        results = synth.results()
        boxes = results['gt_bboxes'].numpy().copy()
        landmarks = results['gt_landmarks'].copy()
        out = crop(results)
        x0, y0, cw, ch = sampled[-1]  # the accepted crop
        assert out['img_shape'] == out['img'].shape[:2] == (ch, cw)
        assert 0.7 * 360 - 1 <= ch <= 360 and 0.7 * 480 - 1 <= cw <= 480
        offsets.append((x0, y0))
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2 - [x0, y0]
        inside = ((centres >= 0) & (centres < [cw, ch])).all(1)
        dropped += (~inside).sum()
        np.testing.assert_array_equal(out['gt_num_landmarks'], np.array([68, 5, 0])[inside])
        shifted = np.clip(boxes[inside] - [x0, y0, x0, y0], 0, [cw, ch, cw, ch])
        np.testing.assert_allclose(out['gt_bboxes'].numpy(), shifted, atol=1e-4)
        np.testing.assert_allclose(out['gt_landmarks'], landmarks[inside] - [x0, y0],
                                   atol=1e-4)
        # every kept landmark is inside the crop (the reject policy)
        kept = out['gt_landmarks'][out['gt_num_landmarks'] > 0]
        assert np.nanmin(kept, initial=0) >= 0 and (np.nan_to_num(kept) < [cw, ch]).all()
        if inside[0]:  # labels: those of the shifted landmarks in the cropped image
            expected = global_pose_from_landmarks(landmarks[:1] - [x0, y0],
                                                  out['gt_bboxes'].numpy()[:1], (cw, ch),
                                                  synth.ref68)
            np.testing.assert_allclose(labeller(out)['gt_poses'][:1], expected, atol=1e-5)
    offsets = np.array(offsets)
    assert (offsets > 0).any(0).all() and dropped > 0


def test_crop_start_is_random_in_both_axes():
    np.random.seed(0)
    crop = RandomPoseCrop()
    starts = np.array([crop._sample_crop(1000, 1000)[:2] for _ in range(200)])
    assert (starts[:, 0] > 0).mean() > 0.8 and (starts[:, 1] > 0).mean() > 0.8
    assert starts[:, 1].max() > 150


def test_crop_masks_faces_whose_landmarks_leave_it(synth, fresh_skips, monkeypatch):
    crop = RandomPoseCrop(landmark_policy='mask')
    results = synth.results()
    box = results['gt_bboxes'].numpy()[0].copy()
    landmarks = results['gt_landmarks'][0]
    # a crop whose left edge cuts the 68-point face's landmarks but not its box centre
    x0 = int(np.floor(landmarks[:, 0].min())) + 5
    assert x0 < (box[0] + box[2]) / 2
    monkeypatch.setattr(crop, '_sample_crop', lambda h, w: (x0, 0, w - x0, h))
    before = fresh_skips.snapshot()
    out = crop(results)
    assert out['gt_num_landmarks'].tolist() == [5, 0]
    assert fresh_skips.since(before) == {'crop/landmarks_outside': 1}
    masked = out['img'][int(np.ceil(box[1])):int(box[3]), :int(box[2]) - x0]
    assert masked.size and (masked == 0).all()


def test_crop_reject_policy_and_bounded_tries(synth, monkeypatch):
    crop = RandomPoseCrop(landmark_policy='reject', max_tries=4)
    landmarks = synth.results()['gt_landmarks'][0]
    x0 = int(np.floor(landmarks[:, 0].min())) + 5
    calls = []

    def bad_crop(h, w):
        calls.append(1)
        return x0, 0, w - x0, h

    monkeypatch.setattr(crop, '_sample_crop', bad_crop)
    results = synth.results()
    img = results['img'].copy()
    out = crop(results)
    assert len(calls) == 4
    np.testing.assert_array_equal(out['img'], img)
    assert out['gt_num_landmarks'].tolist() == [68, 5, 0]


def test_crop_drops_stale_poses(synth, labeller):
    out = RandomPoseCrop()(labeller(synth.results()))
    assert 'gt_poses' not in out


@pytest.mark.parametrize('width, height, expected', [
    (640, 480, [(199, 266), (300, 400), (499, 666), (799, 1066), (1099, 1466), (1399, 1866),
                (1699, 2266)]),
    (375, 500, [(266, 199), (400, 300), (666, 499), (1066, 799), (1466, 1099), (1866, 1399),
                (2266, 1699)]),
    (480, 600, [(250, 200), (375, 300), (625, 500), (1000, 800), (1375, 1100), (1750, 1400),
                (2125, 1700)]),
])
def test_tta_scale_resize_sizes_are_the_originals(width, height, expected):
    """img2pose's WIDER evaluation truncates each scale's size and its model truncates the
    resize again: 640 x 480 at short side 1700 becomes 2266 x 1699 (mmdet: 2267 x 1700)."""
    init_default_scope('mmpose6d')
    image = np.zeros((height, width, 3), np.uint8)
    for side, shape in zip((200, 300, 500, 800, 1100, 1400, 1700), expected):
        out = TRANSFORMS.build(dict(type='Img2PoseScaleResize', short_side=side))(
            dict(img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2]))
        assert out['img'].shape[:2] == shape and out['img_shape'] == shape
        assert out['scale_factor'] == (shape[1] / width, shape[0] / height)


def test_tta_passes_in_the_originals_order():
    """Img2PoseTestTimeAug: every scale unflipped, then every scale flipped; the image is
    mirrored, and only sized (its resampling is the model's, after normalisation)."""
    init_default_scope('mmpose6d')
    image = np.random.default_rng(0).integers(0, 255, (48, 64, 3)).astype(np.uint8)
    tta = TRANSFORMS.build(dict(type='Img2PoseTestTimeAug', scales=[20, 30, 40],
                                transforms=[]))
    passes = tta(dict(img=image, img_shape=(48, 64), ori_shape=(48, 64)))
    assert passes['flip'] == [False] * 3 + [True] * 3
    heights = [shape[0] for shape in passes['img_shape']]
    assert heights[:3] == heights[3:] and heights[0] < heights[1] < heights[2]
    np.testing.assert_array_equal(passes['img'][5], image[:, ::-1])
    assert passes['img_shape'][5] == TRANSFORMS.build(
        dict(type='Img2PoseScaleResize', short_side=40))(
            dict(img=image, img_shape=(48, 64), ori_shape=(48, 64)))['img'].shape[:2]
    with pytest.raises(ValueError, match='at least one scale'):
        TRANSFORMS.build(dict(type='Img2PoseTestTimeAug', scales=[], transforms=[]))


def test_in_model_resize_only_sizes_the_image():
    """TorchvisionResize(in_model=True): the same size, scale factor and boxes as the eager
    resize, the pixels left for the model's data preprocessor."""
    image = np.random.default_rng(0).integers(0, 255, (360, 480, 3)).astype(np.uint8)
    results = [TorchvisionResize(scale=(1400, 800), in_model=in_model)(
        dict(img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2],
             gt_landmarks=np.ones((1, 5, 2), np.float32))) for in_model in (False, True)]
    eager, deferred = results
    assert eager['img_shape'] == deferred['img_shape'] == eager['img'].shape[:2] == (800, 1066)
    assert eager['scale_factor'] == deferred['scale_factor']
    np.testing.assert_array_equal(eager['gt_landmarks'], deferred['gt_landmarks'])
    assert deferred['img'] is image
