"""Training-loop extensions: hooks and the atomic file backend their checkpoints use."""
from .atomic_backend import ATOMIC_BACKEND_ARGS, AtomicLocalBackend
from .hooks import AtomicCheckpointHook

__all__ = ['AtomicCheckpointHook', 'AtomicLocalBackend', 'ATOMIC_BACKEND_ARGS']
