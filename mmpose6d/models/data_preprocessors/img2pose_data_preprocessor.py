"""The original img2pose model's input transform as an mmdet data preprocessor."""
import torch
import torch.nn.functional as F
from mmdet.models.data_preprocessors import DetDataPreprocessor

from mmpose6d.registry import MODELS


@MODELS.register_module()
class Img2PoseDataPreprocessor(DetDataPreprocessor):
    """mmdet's :class:`DetDataPreprocessor` computing the network input in the arithmetic
    order of the original model's transform (torchvision's ``GeneralizedRCNNTransform``):
    the RGB image scaled to [0, 1] (``/ 255``), normalised with ``mean / 255`` and
    ``std / 255`` in float32, then resampled, then padded.

    The resampling: an image whose size differs from its data sample's ``img_shape`` (set by
    ``TorchvisionResize(in_model=True)`` or ``Img2PoseScaleResize``, which leave the pixels
    to this step) is resized to ``img_shape`` after the normalisation, bilinearly
    (``align_corners=False``), as the original resizes its normalised image. Float noise in
    the input decides near-tied proposals, which the multi-scale test's voting amplifies:
    with the original's order, ``--tta`` matches the original's voted boxes more closely.
    Takes :class:`DetDataPreprocessor`'s arguments (``mean`` and ``std`` in 0-255 units).
    """

    def __init__(self, mean=None, std=None, **kwargs):
        super().__init__(mean=mean, std=std, **kwargs)
        # this class normalises and converts channels itself, before the parent pads
        self.to_rgb, self._channel_conversion = self._channel_conversion, False
        self.normalize, self._enable_normalize = self._enable_normalize, False
        if self.normalize:  # from the given numbers: 57.12 / 255 in float32 is not 0.224's
            for name, value in (('mean', mean), ('std', std)):
                unit = torch.tensor(value, dtype=torch.float64).div(255).float().view(-1, 1, 1)
                self.register_buffer(f'unit_{name}', unit, False)

    def transform_image(self, image, img_shape=None):
        """One (C, H, W) image -> the original's normalised network input, resampled to
        ``img_shape`` (H', W') when given and different."""
        if self.to_rgb and image.size(0) == 3:
            image = image[[2, 1, 0]]
        image = image.float()
        if self.normalize:
            image = (image.div(255) - self.unit_mean) / self.unit_std
        if img_shape is not None and tuple(img_shape) != tuple(image.shape[-2:]):
            image = F.interpolate(image.contiguous()[None], size=tuple(img_shape), mode='bilinear',
                                  align_corners=False)[0]
        return image

    def forward(self, data, training=False):
        data = self.cast_data(data)
        inputs, samples = data['inputs'], data.get('data_samples')
        if isinstance(inputs, torch.Tensor):  # a stacked batch: sizes already final
            inputs = torch.stack([self.transform_image(image) for image in inputs])
        else:
            shapes = [None] * len(inputs) if samples is None else [
                sample.metainfo.get('img_shape') for sample in samples]
            inputs = [self.transform_image(image, shape) for image, shape in zip(inputs, shapes)]
        return super().forward(dict(data, inputs=inputs), training)
