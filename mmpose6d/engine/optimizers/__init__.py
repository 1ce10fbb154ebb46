"""Optimizer wrappers."""
from .bfloat16_optim_wrapper import BFloat16OptimWrapper, native_bfloat16

__all__ = ['BFloat16OptimWrapper', 'native_bfloat16']
