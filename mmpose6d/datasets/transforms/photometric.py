"""Photometric augmentation: contrast, brightness, gaussian noise and grayscale."""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmpose6d.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PhotometricNoise(BaseTransform):
    """With probability ``prob``: scale contrast around the image mean by a factor in
    ``1 +- contrast``, shift brightness by up to ``brightness * 255``, add gaussian noise of a
    standard deviation drawn from ``[0, noise_std]`` (with probability ``noise_prob``) and turn
    the image gray (with probability ``gray_prob``). Geometry is untouched.
    """

    def __init__(self, prob=0.5, contrast=0.3, brightness=0.15, noise_std=8.0, noise_prob=0.5,
                 gray_prob=0.1):
        self.prob = prob
        self.contrast = contrast
        self.brightness = brightness
        self.noise_std = noise_std
        self.noise_prob = noise_prob
        self.gray_prob = gray_prob

    def transform(self, results):
        if np.random.rand() >= self.prob:
            return results
        img = results['img'].astype(np.float32)
        alpha = np.random.uniform(1 - self.contrast, 1 + self.contrast)
        beta = np.random.uniform(-self.brightness, self.brightness) * 255
        mean = img.mean()
        img = img * np.float32(alpha) + np.float32(mean * (1 - alpha) + beta)
        if self.noise_std > 0 and np.random.rand() < self.noise_prob:
            noise = np.empty_like(img)
            # OpenCV's generator (4x faster than numpy's), seeded from np.random
            cv2.setRNGSeed(np.random.randint(2**31))
            cv2.randn(noise.reshape(len(img), -1), 0.0, np.random.uniform(0, self.noise_std))
            img += noise
        if img.ndim == 3 and img.shape[2] == 3 and np.random.rand() < self.gray_prob:
            img[:] = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)[..., None]
        np.clip(img, 0, 255, out=img)
        dtype = results['img'].dtype
        if np.issubdtype(dtype, np.integer):
            np.rint(img, out=img)
        results['img'] = img.astype(dtype)
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(prob={self.prob}, contrast={self.contrast}, '
                f'brightness={self.brightness}, noise_std={self.noise_std}, '
                f'noise_prob={self.noise_prob}, gray_prob={self.gray_prob})')
