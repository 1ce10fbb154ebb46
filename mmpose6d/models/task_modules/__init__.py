from .assigners import MatcherAssigner
from .prior_generators import TorchvisionAnchorGenerator

__all__ = ['MatcherAssigner', 'TorchvisionAnchorGenerator']
