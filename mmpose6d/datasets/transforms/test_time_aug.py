"""img2pose's multi-scale and flip test as one test-time augmentation transform."""
from mmcv.transforms import TestTimeAug

from mmpose6d.registry import TRANSFORMS


@TRANSFORMS.register_module()
class Img2PoseTestTimeAug(TestTimeAug):
    """mmcv's :class:`TestTimeAug` over img2pose's passes: each flip (none, then horizontal),
    then each short side of ``scales`` in the given order, then ``transforms`` (loading the
    annotations, packing). The passes come out in the order the original's WIDER evaluation
    pools them (every scale unflipped, then every scale flipped), which its box voting
    depends on; the image is mirrored before it is resized, as the original mirrors the
    original image.

    Args:
        scales: short sides, e.g. ``[200, 300, 500, 800, 1100, 1400, 1700]``.
        transforms: the transforms that follow the resize in every pass.
        flip: add the mirrored passes.
        resize: the resize config, built once per scale with ``short_side=s``; default
            ``Img2PoseScaleResize(in_model=True)``: the original's sizes, the image resampled
            after its normalisation by :class:`~mmpose6d.models.Img2PoseDataPreprocessor`.
    """

    def __init__(self, scales, transforms, flip=True, resize=None):
        if not scales:
            raise ValueError('Img2PoseTestTimeAug needs at least one scale')
        self.scales, self.flip = list(scales), flip
        resize = resize or dict(type='Img2PoseScaleResize', in_model=True)
        flips = [dict(type='RandomPoseFlip', prob=p) for p in ((0.0, 1.0) if flip else (0.0, ))]
        super().__init__([flips, [dict(resize, short_side=s) for s in self.scales],
                          *[[t] for t in transforms]])
