"""Img2PoseDataPreprocessor: the original transform's arithmetic and its resampling."""
import numpy as np
import torch
import torch.nn.functional as F
from mmdet.models.data_preprocessors import DetDataPreprocessor
from mmdet.structures import DetDataSample

from mmpose6d.models import Img2PoseDataPreprocessor

ARGS = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True,
            pad_size_divisor=32)


def _original_input(bgr):
    """torchvision's ToTensor + GeneralizedRCNNTransform.normalize of the RGB image."""
    rgb = torch.from_numpy(np.ascontiguousarray(bgr[..., ::-1])).permute(2, 0, 1).contiguous()
    mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    return (rgb.float().div(255) - mean[:, None, None]) / std[:, None, None]


def test_normalises_then_resamples_then_pads():
    bgr = np.random.default_rng(0).integers(0, 256, (48, 64, 3)).astype(np.uint8)
    sized = DetDataSample(metainfo=dict(img_shape=(79, 106)))  # resampled here
    same = DetDataSample(metainfo=dict(img_shape=(48, 64)))
    image = torch.from_numpy(bgr).permute(2, 0, 1)
    out = Img2PoseDataPreprocessor(**ARGS)(dict(inputs=[image, image],
                                                data_samples=[sized, same]))
    assert out['inputs'].shape == (2, 3, 96, 128)
    expected = F.interpolate(_original_input(bgr)[None], size=(79, 106), mode='bilinear',
                             align_corners=False)[0]
    torch.testing.assert_close(out['inputs'][0, :, :79, :106], expected, rtol=0, atol=0)
    torch.testing.assert_close(out['inputs'][1, :, :48, :64], _original_input(bgr), rtol=0,
                               atol=0)
    assert (out['inputs'][0, :, 79:] == 0).all() and (out['inputs'][1, :, :, 64:] == 0).all()
    sized, same = out['data_samples']
    assert sized.batch_input_shape == (96, 128) and sized.pad_shape == (96, 128)
    assert same.pad_shape == (64, 64)


def test_same_normalisation_as_mmdet_up_to_rounding():
    """The image the parent class would make, up to float rounding; also for a stacked
    batch and without data samples (the ONNX export's call)."""
    image = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    ours = Img2PoseDataPreprocessor(**ARGS)(dict(inputs=image))['inputs']
    mmdet = DetDataPreprocessor(**ARGS)(dict(inputs=image))['inputs']
    assert ours.dtype == torch.float32
    torch.testing.assert_close(ours, mmdet, rtol=1e-5, atol=1e-5)
    listed = Img2PoseDataPreprocessor(**ARGS)(dict(inputs=list(image)))['inputs']
    torch.testing.assert_close(listed, ours, rtol=0, atol=0)
