"""Evaluation: the WIDER FACE protocol, face pose errors and head-pose benchmarks.

``functional`` is the numpy core, usable without mmdet / mmengine (e.g. by
``tools/analysis_tools/eval_wider.py``). ``metrics`` wraps it as an mmengine metric and is
imported where MMDetection is installed; whatever builds a metric needs mmdet's registries
first, so a missing install still fails loudly there.
"""
from importlib.util import find_spec

from .functional import evaluate_wider, load_wider_gt, read_pred_dir, write_pred_dir

__all__ = ['evaluate_wider', 'load_wider_gt', 'read_pred_dir', 'write_pred_dir']

if find_spec('mmdet') is not None:
    from .metrics import FacePoseMetric, HeadPoseMetric, WiderFaceMetric  # noqa: F401
    __all__ += ['FacePoseMetric', 'HeadPoseMetric', 'WiderFaceMetric']
