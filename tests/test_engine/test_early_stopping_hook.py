"""LazyEarlyStoppingHook: testing never touches the train loop, training still checks it."""
from types import SimpleNamespace

import pytest

from mmpose6d.engine.hooks import LazyEarlyStoppingHook


class _Runner:
    """A runner whose train loop, like mmengine's, is built on first access."""

    def __init__(self, train_loop):
        self._train_loop, self.built = train_loop, False

    @property
    def train_loop(self):
        self.built = True
        return self._train_loop


def test_before_run_leaves_the_train_loop_unbuilt():
    runner = _Runner(train_loop=None)
    LazyEarlyStoppingHook(monitor='val_loss').before_run(runner)
    assert not runner.built


def test_before_train_checks_the_loop():
    hook = LazyEarlyStoppingHook(monitor='val_loss')
    hook.before_train(_Runner(SimpleNamespace(stop_training=False)))
    with pytest.raises(AssertionError, match='stop_training'):
        hook.before_train(_Runner(SimpleNamespace()))
