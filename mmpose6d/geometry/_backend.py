"""The dispatch rule of :mod:`mmpose6d.geometry`: one torch-written definition per formula,
run on numpy (numpy out) or on tensors (tensor out) by :func:`numpy_or_torch`."""
import functools

import numpy as np
import torch


def _is_array(value):
    return isinstance(value, (np.ndarray, list, tuple, torch.Tensor))


def to_numpy(value, dtype=None):
    """Tensors (also inside tuples and lists) -> numpy arrays, other values as they are;
    with ``dtype`` every value becomes an array of that dtype (e.g. a metric's float64)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    elif isinstance(value, (tuple, list)) and dtype is None:
        return type(value)(to_numpy(v) for v in value)
    return value if dtype is None else np.asarray(value, dtype=dtype)


def numpy_or_torch(fn):
    """Run a torch-written function on numpy or torch inputs alike.

    When any argument is a tensor, array-like arguments are moved to its dtype and device and
    the result stays a (differentiable) tensor. Otherwise arrays become float64 tensors and the
    result is converted back to numpy. Python numbers and flags pass unchanged.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        values = list(args) + list(kwargs.values())
        tensor = next((v for v in values if isinstance(v, torch.Tensor)), None)
        if tensor is not None:
            dtype = tensor.dtype if tensor.is_floating_point() else torch.float64
            device = tensor.device

            def convert(v):
                if isinstance(v, torch.Tensor):
                    return v if v.is_floating_point() else v.to(dtype)
                if _is_array(v):
                    return torch.as_tensor(np.asarray(v, dtype=np.float64), dtype=dtype,
                                           device=device)
                return v

            return fn(*map(convert, args), **{k: convert(v) for k, v in kwargs.items()})

        def convert(v):
            return torch.from_numpy(np.asarray(v, dtype=np.float64)) if _is_array(v) else v

        out = fn(*map(convert, args), **{k: convert(v) for k, v in kwargs.items()})
        return to_numpy(out)

    return wrapper
