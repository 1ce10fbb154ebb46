from .atomic_checkpoint_hook import AtomicCheckpointHook
from .early_stopping_hook import LazyEarlyStoppingHook

__all__ = ['AtomicCheckpointHook', 'LazyEarlyStoppingHook']
