"""Out-of-place forms of ``zero_``, ``fill_`` and ``copy_`` with PyTorch's argument checks, run by
their rows (``engine.ops.views``): ``Tensor._inplace`` writes their result into the tensor, so a
non-leaf keeps requiring grad and views rebase as for any in-place op."""

from __future__ import annotations

import numpy as np

from .ops import OPS
from .tensor import Tensor, _broadcast_error, _result, _wrap, as_array

_ZERO, _FILL, _FILL_T, _COPY = OPS["zero"], OPS["fill"], OPS["fill_t"], OPS["copy"]


def zero(a):
    out, attrs = _ZERO.fwd(a._data)
    return _result(_ZERO, out, (a,), attrs)


def fill(a, value):
    x = a._data
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        out, attrs = _FILL_T.fwd(x, value._data)
        return _result(_FILL_T, out, (a, value), attrs)
    if x.dtype.kind in "iu":
        check_int_fill(x.dtype, value)
    out, attrs = _FILL.fwd(x, value)
    return _result(_FILL, out, (a,), attrs)


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
        out, attrs = _COPY.fwd(x, y)
    except ValueError:
        raise _broadcast_error(x.shape, y.shape) from None
    return _result(_COPY, out, (a, src), attrs)
