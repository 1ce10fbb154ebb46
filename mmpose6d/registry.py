"""mmpose6d registries: one child of each of MMDetection's, so every mmdet (and mmengine)
module stays reachable from the ``mmpose6d`` scope.

Configs set ``default_scope = 'mmpose6d'``; a type not registered here is looked up in
mmdet's registries, and from there in mmengine's. The set of registries is mmdet's own, so
the runner finds every registry it asks for in this scope (no "Failed to search registry"
warnings). A child does not import its parent's modules: each one imports mmdet's modules
for that registry besides mmpose6d's own.
"""
from mmdet import registry as mmdet_registry
from mmengine.registry import Registry


def _child(name, *own_locations):
    """The child of mmdet's registry ``name`` (e.g. ``'MODELS'``) in the mmpose6d scope."""
    parent = getattr(mmdet_registry, name)
    return Registry(parent.name, parent=parent,
                    locations=list(own_locations) + list(parent._locations))


DATASETS = _child('DATASETS', 'mmpose6d.datasets')
TRANSFORMS = _child('TRANSFORMS', 'mmpose6d.datasets.transforms')
MODELS = _child('MODELS', 'mmpose6d.models')
TASK_UTILS = _child('TASK_UTILS', 'mmpose6d.models')
METRICS = _child('METRICS', 'mmpose6d.evaluation')
VISUALIZERS = _child('VISUALIZERS', 'mmpose6d.visualization')
HOOKS = _child('HOOKS', 'mmpose6d.engine')
RUNNERS = _child('RUNNERS')
RUNNER_CONSTRUCTORS = _child('RUNNER_CONSTRUCTORS')
LOOPS = _child('LOOPS')
DATA_SAMPLERS = _child('DATA_SAMPLERS')
MODEL_WRAPPERS = _child('MODEL_WRAPPERS')
WEIGHT_INITIALIZERS = _child('WEIGHT_INITIALIZERS')
OPTIMIZERS = _child('OPTIMIZERS')
OPTIM_WRAPPERS = _child('OPTIM_WRAPPERS', 'mmpose6d.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('OPTIM_WRAPPER_CONSTRUCTORS')
PARAM_SCHEDULERS = _child('PARAM_SCHEDULERS')
EVALUATOR = _child('EVALUATOR')
VISBACKENDS = _child('VISBACKENDS')
LOG_PROCESSORS = _child('LOG_PROCESSORS')
