"""mmpose6d registries: children of MMDetection's, so every mmdet module stays reachable.

Configs set ``default_scope = 'mmpose6d'``; a type not registered here is looked up in
mmdet's registries (and from there in mmengine's).
"""
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import HOOKS as MMDET_HOOKS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import TASK_UTILS as MMDET_TASK_UTILS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmdet.registry import VISUALIZERS as MMDET_VISUALIZERS
from mmengine.registry import Registry

DATASETS = Registry('dataset', parent=MMDET_DATASETS, locations=['mmpose6d.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMDET_TRANSFORMS, locations=['mmpose6d.datasets.transforms'])
MODELS = Registry('model', parent=MMDET_MODELS, locations=['mmpose6d.models'])
TASK_UTILS = Registry('task util', parent=MMDET_TASK_UTILS, locations=['mmpose6d.models'])
METRICS = Registry('metric', parent=MMDET_METRICS, locations=['mmpose6d.evaluation'])
HOOKS = Registry('hook', parent=MMDET_HOOKS, locations=['mmpose6d.engine', 'mmdet.engine'])
VISUALIZERS = Registry(
    'visualizer', parent=MMDET_VISUALIZERS, locations=['mmpose6d.visualization'])
