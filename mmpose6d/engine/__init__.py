"""Training-loop extensions: hooks, the atomic file backend their checkpoints use and the
bfloat16 optimizer wrapper."""
from .atomic_backend import ATOMIC_BACKEND_ARGS, AtomicLocalBackend
from .hooks import AtomicCheckpointHook
from .optimizers import BFloat16OptimWrapper, native_bfloat16

__all__ = [
    'AtomicCheckpointHook', 'AtomicLocalBackend', 'ATOMIC_BACKEND_ARGS', 'BFloat16OptimWrapper',
    'native_bfloat16'
]
