from .assigners import MatcherAssigner
from .coders import LocalPoseCoder
from .prior_generators import TorchvisionAnchorGenerator

__all__ = ['MatcherAssigner', 'LocalPoseCoder', 'TorchvisionAnchorGenerator']
