"""Whether a checkpoint fits a model: missing, unexpected and misshapen keys, found before
loading and named in one error, instead of mmengine's warning for a partial load."""
import re
from collections import OrderedDict

from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.runner.checkpoint import load_state_dict

from .checkpoint import CheckpointError, read_checkpoint


def state_dict_of(checkpoint, path):
    """The model state dict of a loaded checkpoint (``state_dict`` or the whole dict), with
    DataParallel's ``module.`` prefixes removed as mmengine does."""
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) \
        else None
    if not isinstance(state_dict, dict):
        raise CheckpointError(f'{path}: holds no state dict (a {type(checkpoint).__name__})')
    revised = OrderedDict((re.sub(r'^module\.', '', key), value)
                          for key, value in state_dict.items())
    revised._metadata = getattr(state_dict, '_metadata', OrderedDict())  # module versions
    return revised


def _bare_model(model):
    """The detector inside DDP and test-time-augmentation wrappers."""
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model


def optional_state_keys(model):
    """State keys a checkpoint may lack: buffers the config sets (modules list them in
    ``config_buffers``) and BatchNorm's ``num_batches_tracked``, both of which mmengine's
    loading leaves at the model's values."""
    optional = {key for key in model.state_dict() if key.endswith('num_batches_tracked')}
    for name, module in model.named_modules():
        optional.update(f'{name}.{buffer}' if name else buffer
                        for buffer in getattr(module, 'config_buffers', ()))
    return optional


def check_fits_model(model, state_dict, path, shown=5):
    """Raise :class:`CheckpointError` naming ``path`` and the first keys when ``state_dict``
    does not fit ``model``: missing keys (beyond :func:`optional_state_keys`), unexpected
    keys or tensors of another shape."""
    model = _bare_model(model)
    expected, optional = model.state_dict(), optional_state_keys(model)
    missing = [k for k in expected if k not in state_dict and k not in optional]
    unexpected = [k for k in state_dict if k not in expected]
    mismatched = [f'{k}: checkpoint {tuple(v.shape)}, model {tuple(expected[k].shape)}'
                  for k, v in state_dict.items()
                  if k in expected and hasattr(v, 'shape') and v.shape != expected[k].shape]
    if not (missing or unexpected or mismatched):
        return
    lines = [f'{path}: does not fit the model of this config ({len(state_dict)} checkpoint '
             f'tensors, {len(set(state_dict) & set(expected))} of the model\'s {len(expected)} '
             'names among them)']
    for label, keys in (('missing', missing), ('unexpected', unexpected),
                        ('of another shape', mismatched)):
        if keys:
            more = f', ... ({len(keys) - shown} more)' if len(keys) > shown else ''
            lines.append(f'  {len(keys)} {label}: ' + ', '.join(keys[:shown]) + more)
    if any(k.startswith(('fpn_model', 'backbone.body.', 'roi_heads.')) for k in state_dict):
        lines.append('  an original img2pose checkpoint? convert it with '
                     'tools/model_converters/img2pose_to_mmpose6d.py')
    raise CheckpointError('\n'.join(lines))


def check_model_checkpoint(model, path, trust=False):
    """Check, without loading it, that checkpoint ``path`` is readable and fits ``model``."""
    check_fits_model(model, state_dict_of(read_checkpoint(path, trust, mmap=True), path), path)


def load_model_checkpoint(model, path, trust=False):
    """Read checkpoint ``path``, check it fits ``model`` and load its weights; returns it."""
    checkpoint = read_checkpoint(path, trust)
    state_dict = state_dict_of(checkpoint, path)
    check_fits_model(model, state_dict, path)
    load_state_dict(_bare_model(model), state_dict, logger='current')
    return checkpoint
