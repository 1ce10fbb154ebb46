from .atomic_checkpoint_hook import AtomicCheckpointHook
from .early_stopping_hook import LazyEarlyStoppingHook
from .random_state_hook import RandomStateHook

__all__ = ['AtomicCheckpointHook', 'LazyEarlyStoppingHook', 'RandomStateHook']
