from .torchvision_anchor_generator import TorchvisionAnchorGenerator

__all__ = ['TorchvisionAnchorGenerator']
