"""Early stopping that leaves testing alone."""
from mmengine.hooks import EarlyStoppingHook

from mmpose6d.registry import HOOKS


@HOOKS.register_module()
class LazyEarlyStoppingHook(EarlyStoppingHook):
    """mmengine's :class:`EarlyStoppingHook`, its check of the train loop moved from
    ``before_run`` to ``before_train``: mmengine's check builds the train loop, and so the
    training data set, in every run, so ``tools/test.py`` (ours or mmdet's) of a config
    with early stopping would fail where the training annotations are absent."""

    def before_run(self, runner):
        pass

    def before_train(self, runner):
        super().before_run(runner)
