"""Out-of-place forms of ``zero_``, ``fill_`` and ``copy_``, recorded with PyTorch's nodes
(``ZeroBackward0``, ``FillBackward2``/``3``, ``CopyBackwards``): ``Tensor._inplace`` writes their
result into the tensor, so a non-leaf keeps requiring grad and views rebase as for any in-place op.
"""

from __future__ import annotations

import numpy as np

from .ops import register
from .tensor import Tensor, _broadcast_error, _result, _wrap, as_array


def _zeros(g):
    # a constant, as PyTorch's: not g * 0, which would keep g's history (and its nan or inf)
    return _wrap(np.zeros_like(g._data)) if isinstance(g, Tensor) else np.zeros_like(g)


def _zeros_vjp(m, g, out, s, a, need):
    return (_zeros(g),)


def _fill_t_vjp(m, g, out, s, a, need):
    return (_zeros(g) if need[0] else None,
            m.reshape(m.sum(g, None, False), ()) if need[1] else None)


def _copy_vjp(m, g, out, s, a, need):
    shape, dtype = a
    return (_zeros(g) if need[0] else None,
            m.sum_to(m.cast(g, dtype), shape) if need[1] else None)


_ZERO = register("zero", "ZeroBackward0", None, _zeros_vjp, doc="zeros like a")
_FILL = register("fill", "FillBackward2", None, _zeros_vjp, doc="c everywhere (c a number)")
_FILL_T = register("fill_t", "FillBackward3", None, _fill_t_vjp, doc="v everywhere (v 0-d)")
_COPY = register("copy", "torch::autograd::CopyBackwards", None, _copy_vjp, doc="b broadcast to a's shape")


def zero(a):
    return _result(_ZERO, np.zeros_like(a._data), (a,))


def fill(a, value):
    x = a._data
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        return _result(_FILL_T, np.full_like(x, value._data), (a, value), None)
    if x.dtype.kind in "iu":
        check_int_fill(x.dtype, value)
    return _result(_FILL, np.full_like(x, value), (a,), value)


_C_INT_NAMES = {"i1": "int8_t", "i2": "int16_t", "i4": "int", "i8": "int64_t", "u1": "uint8_t"}


def check_int_fill(dtype, value):
    """A value an integer tensor cannot hold: PyTorch's overflow error, not a wrapped number."""
    info = np.iinfo(dtype)
    if isinstance(value, float) and not np.isfinite(value) or not info.min <= value <= info.max:
        raise RuntimeError(f"value cannot be converted to type {_C_INT_NAMES[dtype.str[1:]]} "
                           "without overflow")


def copy(a, src):
    if not isinstance(src, Tensor):
        src = _wrap(as_array(src))
    x, y = a._data, src._data
    try:
        out = np.array(np.broadcast_to(y, x.shape), dtype=x.dtype)
    except ValueError:
        raise _broadcast_error(x.shape, y.shape) from None
    return _result(_COPY, out, (a, src), (y.shape, y.dtype))
