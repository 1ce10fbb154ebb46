"""Training-loop extensions: hooks."""
from .hooks import AtomicCheckpointHook

__all__ = ['AtomicCheckpointHook']
