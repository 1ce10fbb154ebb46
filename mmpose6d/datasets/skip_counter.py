"""Counted skips: every bad input is dropped under a named reason, never a crash.

One per-process counter serves the datasets, the LMDB converter and the transforms. Each
reason is logged (through MMLogger) on its first occurrence with the detail that names the
file and the problem, then every ``log_every`` occurrences; tests query the counts.

Reasons, by the stage that counts them:

- ``ann/...`` (annotation files; image skipped unless noted): ``missing_json``,
  ``malformed_json``, ``missing_key``, ``bad_bboxes``, ``count_mismatch``, ``no_faces`` and
  ``no_labelled_faces`` (training filter); per face: ``invalid_box`` (face dropped),
  ``missing_landmarks``, ``nan_landmarks``, ``bad_landmarks`` (face kept, unlabelled).
- ``image/...`` (image skipped): ``missing``, ``unreadable``, ``empty_file``, ``corrupt``,
  ``truncated``.
- ``label/...`` (face masked and removed from the targets): ``unlabelled_face`` and the
  geometry's PnP reasons (``invalid_box``, ``missing_landmarks``, ``nonfinite_landmarks``,
  ``degenerate_landmarks``, ``pnp_failed``).
- ``crop/landmarks_outside``, ``boxes/empty_projected_box`` (face masked and removed).
- ``sample/no_target_faces`` (training sample refetched by the dataset).
"""
from collections import Counter

from mmengine.logging import MMLogger


class AnnotationError(ValueError):
    """A bad annotation file; ``reason`` is its skip reason, the message names the file."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


class SkipCounter:
    """Counts of skip reasons in this process, logged on first occurrence and every N, each
    line starting with ``label`` (another label counts what is kept but worth a word)."""

    def __init__(self, log_every=1000, label='skipped'):
        self.log_every = log_every
        self.label = label
        self.counts = Counter()

    def add(self, reason, detail='', count=1):
        """Count ``count`` skips under ``reason``; ``detail`` names the file and problem."""
        before = self.counts[reason]
        self.counts[reason] += count
        after = self.counts[reason]
        if before == 0 or after // self.log_every > before // self.log_every:
            MMLogger.get_current_instance().warning(
                f'{self.label} [{reason}] (x{after} so far): {detail}')

    def snapshot(self):
        """A copy of the counts, to measure what a stage skipped with :meth:`since`."""
        return Counter(self.counts)

    def since(self, snapshot):
        """Counts added after ``snapshot``."""
        return self.counts - snapshot

    def reset(self):
        self.counts.clear()


#: The process-wide counter.
SKIPS = SkipCounter()


def format_counts(counts):
    """``reason: n, ...`` sorted by reason, or ``nothing``."""
    return ', '.join(f'{k}: {v}' for k, v in sorted(counts.items())) or 'nothing'


def counted(fn, *args):
    """``fn(*args)``, or None with its :class:`AnnotationError` counted in :data:`SKIPS`."""
    try:
        return fn(*args)
    except AnnotationError as e:
        SKIPS.add(e.reason, str(e))
        return None
