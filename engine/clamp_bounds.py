"""``clamp``/``clip``/``clamp_min``/``clamp_max`` with tensor bounds, as PyTorch parses them: two
tensors (or a tensor and None) take the Tensor overload (ClampBackward0, ClampMinBackward1,
ClampMaxBackward1: the bounds are inputs of the node and get grads); a tensor beside a number
is that number's overload only when it is a 0-d tensor that does not require grad (it is read
as a number), and otherwise a TypeError. The rows are in ``engine.ops.clamp``."""

from __future__ import annotations

import builtins

import numpy as np

from . import promotion
from .dispatch import _broadcast_error, _result
from .ops import OPS
from .tensor_data import Tensor

_CLAMP_T, _CLAMP_MIN_T, _CLAMP_MAX_T = OPS["clamp_t"], OPS["clamp_min_t"], OPS["clamp_max_t"]


def _dtype(tensors) -> np.dtype:
    """The result's dtype: dimensioned tensors promoted together, 0-d ones together, then the
    two as a tensor with a 0-d one (a 0-d tensor of a higher kind wins, as in ATen)."""
    dims = [t._data.dtype for t in tensors if t._data.ndim]
    zero = [t._data.dtype for t in tensors if not t._data.ndim]
    for group in (dims, zero):
        while len(group) > 1:
            group[:2] = [promotion.tensors(group[0], True, group[1], True)]
    if not dims or not zero:
        return (dims or zero)[0]
    return promotion.tensors(dims[0], True, zero[0], False)


def _run(op, x, bounds):
    tensors = [x, *(b for b in bounds if b is not None)]
    dt = _dtype(tensors)
    arrays = [None if b is None else b._data.astype(dt, copy=False)
              for b in (x, *bounds)]
    try:
        np.broadcast_shapes(*(a.shape for a in arrays if a is not None))
    except ValueError:
        shapes = [a.shape for a in arrays if a is not None]
        raise _broadcast_error(*shapes[:2]) from None
    shapes = (tuple(None if b is None else b._data.shape for b in (x, *bounds)),
              tuple(None if b is None or b._data.dtype == dt else b._data.dtype
                    for b in (x, *bounds)))
    inputs = (x, *bounds)
    out, attrs = op.fwd(*arrays, shapes)
    return _record(op, out, inputs, attrs)


def _record(op, out, inputs, attrs):
    return _result(op, out, inputs, attrs,
                   builtins.any(isinstance(t, Tensor) and t._rg for t in inputs))


def _as_number(t):
    return t._data.item()


def _mixed_error(min, max):
    got = f"max={_type(max)}, min={_type(min)}"
    return TypeError(
        f"clamp() received an invalid combination of arguments - got (Tensor, {got}), but "
        "expected one of:\n"
        " * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)\n"
        " * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)\n")


def _type(v):
    return "Tensor" if isinstance(v, Tensor) else type(v).__name__


def _number_like(t) -> bool:
    return t._data.ndim == 0 and not t.requires_grad


def clamp(self, min=None, max=None):
    """``clamp`` where ``min`` or ``max`` is a Tensor."""
    if (min is None or isinstance(min, Tensor)) and (max is None or isinstance(max, Tensor)):
        return _run(_CLAMP_T, self, (min, max))
    tensor = min if isinstance(min, Tensor) else max
    if not _number_like(tensor):
        raise _mixed_error(min, max)
    if tensor is min:
        return self.clamp(_as_number(min), max)
    return self.clamp(min, _as_number(max))


def clamp_min(self, min):
    """``clamp_min`` by a Tensor."""
    return _run(_CLAMP_MIN_T, self, (min,))


def clamp_max(self, max):
    """``clamp_max`` by a Tensor."""
    return _run(_CLAMP_MAX_T, self, (max,))
