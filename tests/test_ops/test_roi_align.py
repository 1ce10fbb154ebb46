"""mmpose6d.ops.RoIAlign (multi-threaded CPU kernel) against mmcv's RoIAlign, bit for bit."""
import pytest
import torch
from mmcv.ops import roi_align as mmcv_roi_align
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor

from mmpose6d.models.roi_heads.roi_extractors import OpsRoIExtractor
from mmpose6d.ops import RoIAlign, ext_available, roi_align


def random_rois(num, batch, width, height, seed=0, inverted=True):
    """Boxes of 2..80 px (image pixels), some crossing or outside the image, four inverted
    (x2 < x1, y2 < y1: clamped to 1x1 when not aligned, an error when aligned)."""
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(num, 2, generator=g) * torch.tensor([width + 40., height + 40.]) - 20
    wh = torch.rand(num, 2, generator=g) * 78 + 2
    boxes = torch.cat([xy, xy + wh], 1)
    if inverted:
        boxes[:4] = boxes[:4, [2, 3, 0, 1]]
    index = torch.randint(0, batch, (num, 1), generator=g).float()
    return torch.cat([index, boxes], 1)


def test_extension_is_compiled():
    # tools/install.sh builds it; without it training falls back to mmcv's slow kernel
    assert ext_available()


@pytest.mark.parametrize('sampling_ratio,aligned', [(2, False), (0, True), (0, False),
                                                    (3, True)])
def test_forward_backward_match_mmcv(sampling_ratio, aligned):
    torch.manual_seed(0)
    feats = torch.randn(2, 19, 30, 41, requires_grad=True)  # stride 4 of 164 x 120 images
    rois = random_rois(300, 2, 164, 120, inverted=not aligned)
    out = roi_align(feats, rois, 7, 0.25, sampling_ratio, 'avg', aligned)
    ref = mmcv_roi_align(feats, rois, 7, 0.25, sampling_ratio, 'avg', aligned)
    assert out.shape == ref.shape == (300, 19, 7, 7) and out.dtype == torch.float32
    assert ref.abs().max() > 0.1
    torch.testing.assert_close(out, ref, rtol=0, atol=0)
    grad_out = torch.randn_like(ref)
    grad, = torch.autograd.grad(out, feats, grad_out)
    grad_ref, = torch.autograd.grad(ref, feats, grad_out)
    assert grad_ref.abs().max() > 0.1
    torch.testing.assert_close(grad, grad_ref, rtol=0, atol=0)


@pytest.mark.parametrize('pool_mode', ['avg', 'max'])
def test_channels_last_features(pool_mode):
    # 'avg' runs on mmpose6d._ext, 'max' on mmcv, whose kernel misreads channels-last memory
    torch.manual_seed(3)
    feats = torch.randn(2, 16, 30, 41, requires_grad=True)
    rois = random_rois(100, 2, 164, 120, inverted=False)
    strided = feats.detach().contiguous(memory_format=torch.channels_last).requires_grad_()
    out = roi_align(strided, rois, 7, 0.25, 2, pool_mode, True)
    ref = mmcv_roi_align(feats, rois, 7, 0.25, 2, pool_mode, True)
    assert ref.abs().max() > 0.1
    torch.testing.assert_close(out, ref, rtol=0, atol=0)
    grad, = torch.autograd.grad(out.square().sum(), strided)
    grad_ref, = torch.autograd.grad(ref.square().sum(), feats)
    torch.testing.assert_close(grad, grad_ref, rtol=0, atol=0)


def test_samples_outside_the_map_are_zero():
    feats = torch.ones(1, 2, 10, 10)
    rois = torch.tensor([[0., 100, 100, 120, 120],   # far outside: no samples
                         [0., 0, 0, 40, 40]])        # the whole map of ones
    out = roi_align(feats, rois, 2, 0.25, 2, 'avg', False)
    torch.testing.assert_close(out[0], torch.zeros(2, 2, 2))
    torch.testing.assert_close(out[1], torch.ones(2, 2, 2))


def test_known_values_and_gradcheck_in_float64():
    # f(y, x) = x on a 4 x 6 map: a 1x1 bin over x in [1, 3] averages 2 samples at x = 1.5, 2.5
    feats = torch.arange(6.).repeat(1, 1, 4, 1).double()
    out = roi_align(feats, torch.tensor([[0., 1, 0, 3, 2]]).double(), 1, 1.0, 2, 'avg', False)
    assert out.dtype == torch.float64
    assert out.item() == pytest.approx(2.0, abs=1e-12)

    torch.manual_seed(1)
    feats = torch.randn(2, 3, 6, 7, dtype=torch.float64, requires_grad=True)
    rois = torch.tensor([[0., 0.3, 0.7, 5.1, 4.2], [1., 1.2, 0.1, 6.4, 5.3]], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda f: roi_align(f, rois, 2, 1.0, 2, 'avg', False),
                                    (feats, ))


def test_threads_give_the_same_result():
    torch.manual_seed(2)
    feats = torch.randn(1, 64, 40, 50, requires_grad=True)
    rois = random_rois(200, 1, 200, 160, seed=3)
    threads = torch.get_num_threads()
    results = []
    for n in (1, 2):
        torch.set_num_threads(n)
        out = roi_align(feats, rois, 7, 0.25, 2, 'avg', False)
        grad, = torch.autograd.grad(out.square().sum(), feats)
        results.append((out, grad))
    torch.set_num_threads(threads)
    torch.testing.assert_close(results[0][0], results[1][0], rtol=0, atol=0)
    torch.testing.assert_close(results[0][1], results[1][1], rtol=0, atol=0)


def test_no_rois_and_bad_rois():
    feats = torch.randn(1, 4, 8, 8, requires_grad=True)
    out = roi_align(feats, torch.zeros(0, 5), 7, 1.0, 2, 'avg', False)
    assert out.shape == (0, 4, 7, 7)
    out.sum().backward()
    assert feats.grad.shape == feats.shape and not feats.grad.any()
    with pytest.raises(RuntimeError, match='batch index 3 out of range'):
        roi_align(feats, torch.tensor([[3., 0, 0, 4, 4]]), 7, 1.0, 2, 'avg', False)
    with pytest.raises(RuntimeError, match='negative size when aligned'):
        roi_align(feats, torch.tensor([[0., 4, 4, 2, 2]]), 7, 1.0, 2, 'avg', True)
    with pytest.raises(RuntimeError, match=r'rois must be \(N, 5\)'):
        roi_align(feats, torch.zeros(2, 4), 7, 1.0, 2, 'avg', False)


def test_module_and_extractor():
    layer = RoIAlign(output_size=7, spatial_scale=0.25, sampling_ratio=2, aligned=False)
    feats = torch.randn(1, 8, 30, 40)
    rois = random_rois(20, 1, 160, 120, seed=4, inverted=False)
    torch.testing.assert_close(layer(feats, rois),
                               mmcv_roi_align(feats, rois, 7, 0.25, 2, 'avg', False),
                               rtol=0, atol=0)
    # max pooling is not in the kernel: mmcv's
    layer_max = RoIAlign(output_size=7, spatial_scale=0.25, sampling_ratio=2, pool_mode='max')
    torch.testing.assert_close(layer_max(feats, rois),
                               mmcv_roi_align(feats, rois, 7, 0.25, 2, 'max', True))

    extractor = OpsRoIExtractor(
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=2, aligned=False),
        out_channels=8, featmap_strides=[4, 8])
    assert all(type(layer) is RoIAlign for layer in extractor.roi_layers)
    assert [layer.spatial_scale for layer in extractor.roi_layers] == [0.25, 0.125]
    # a type mmpose6d.ops does not have comes from mmcv.ops, as in mmdet
    pool = OpsRoIExtractor(roi_layer=dict(type='RoIPool', output_size=7), out_channels=8,
                           featmap_strides=[4])
    assert type(pool.roi_layers[0]).__module__.startswith('mmcv.ops')


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_half_precision_features_pool_in_float32(dtype):
    """Autocast's bfloat16 (and CPU float16) features, which no kernel takes: the float32
    pooling rounded to their dtype, with a gradient of their dtype."""
    feats = torch.randn(2, 8, 20, 24).to(dtype).requires_grad_()
    rois = random_rois(30, 2, 24, 20, inverted=False)
    out = roi_align(feats, rois.to(dtype), (7, 7), 0.5, 2)
    expected = roi_align(feats.detach().float(), rois.to(dtype).float(), (7, 7), 0.5, 2)
    assert out.dtype == dtype
    torch.testing.assert_close(out, expected.to(dtype))
    out.float().sum().backward()
    assert feats.grad.dtype == dtype and torch.isfinite(feats.grad.float()).all()
    assert feats.grad.float().abs().sum() > 0


def pyramid(channels, batch=2, width=164, height=120, seed=5):
    """Feature maps of strides 4, 8, 16, 32 of ``batch`` images of ``width`` x ``height``."""
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, channels, -(-height // s), -(-width // s), generator=g)
            for s in (4, 8, 16, 32)]


@pytest.mark.parametrize('channels_last', [False, True])
def test_extractor_pools_every_level_in_one_pass_as_level_by_level(channels_last):
    """OpsRoIExtractor's one pass (RoIs of all levels in one kernel call) gives mmdet's
    level-by-level features and gradients, bit for bit, in either memory layout."""
    extractor = OpsRoIExtractor(
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=2, aligned=False),
        out_channels=19, featmap_strides=[4, 8, 16, 32], canonical_scale=40,
        canonical_level=3)
    feats = pyramid(19)
    if channels_last:
        feats = [f.contiguous(memory_format=torch.channels_last) for f in feats]
    g = torch.Generator().manual_seed(6)
    xy = torch.rand(400, 2, generator=g) * torch.tensor([164., 120.])
    wh = torch.rand(400, 2, generator=g) ** 2 * 300 + 2  # 2..302 px: every level
    rois = torch.cat([torch.randint(0, 2, (400, 1), generator=g).float(), xy, xy + wh], 1)
    assert len(extractor.map_roi_levels(rois, 4).unique()) == 4
    feats = [f.requires_grad_() for f in feats]
    ours = extractor(feats, rois)
    reference = SingleRoIExtractor.forward(extractor, feats, rois)
    assert ours.shape == (400, 19, 7, 7) and reference.abs().max() > 0.1
    torch.testing.assert_close(ours, reference, rtol=0, atol=0)
    grad_out = torch.randn_like(ours)
    grads = torch.autograd.grad(ours, feats, grad_out)
    reference_grads = torch.autograd.grad(reference, feats, grad_out)
    for grad, expected in zip(grads, reference_grads):
        assert expected.abs().max() > 0.01
        torch.testing.assert_close(grad, expected, rtol=0, atol=0)


def test_extractor_one_pass_keeps_float32_rois_under_bfloat16():
    """bfloat16 features (CPU autocast) pool in float32 from float32 RoIs: mmdet's path
    rounds the RoIs to bfloat16 first (a 300 px coordinate to a multiple of 2)."""
    extractor = OpsRoIExtractor(
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=2, aligned=False),
        out_channels=8, featmap_strides=[4, 8, 16, 32])
    feats = pyramid(8, batch=1, width=640, height=480)
    rois = torch.tensor([[0., 301.3, 201.7, 377.1, 290.9], [0., 11.5, 20.25, 40.75, 52.5]])
    out = extractor([f.bfloat16() for f in feats], rois)
    expected = extractor([f.bfloat16().float() for f in feats], rois)
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out, expected.bfloat16(), rtol=0, atol=0)


def test_extractor_falls_back_level_by_level():
    """Max pooling (no kernel in mmpose6d._ext) pools level by level on mmcv's layers;
    bfloat16 features there too in float32, from float32 RoIs."""
    extractor = OpsRoIExtractor(
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=2, pool_mode='max'),
        out_channels=8, featmap_strides=[4, 8, 16, 32])
    feats = pyramid(8)
    rois = random_rois(50, 2, 164, 120, seed=7, inverted=False)
    expected = SingleRoIExtractor.forward(extractor, feats, rois)
    torch.testing.assert_close(extractor(feats, rois), expected, rtol=0, atol=0)
    half = [feat.bfloat16() for feat in feats]
    out = extractor(half, rois)
    assert out.dtype == torch.bfloat16
    expected = SingleRoIExtractor.forward(extractor, [feat.float() for feat in half], rois)
    torch.testing.assert_close(out, expected.bfloat16(), rtol=0, atol=0)
