"""Tensor ops that reorder or mask elements: ``sort``, ``argsort``, ``topk``, ``cumsum``,
``flip``, ``masked_fill``, ``tril``, ``triu`` (reached as Tensor methods and ``torch.*``): the
argument checks, then the op's row (``engine.ops.ordering``)."""

from __future__ import annotations

import numpy as np

from ._dtype import to_numpy_dtype
from .dispatch import call
from .inplace_ops import check_int_fill
from .ops import OPS
from .ops.ordering import order
from .return_types import return_type
from .saved_outputs import values_indices
from .tensor import _C_TYPE_NAMES, Tensor, _broadcast_error, _dims, _result, _wrap


def _values_indices(key, t, result_type, *params):
    op = OPS[key]
    (values, idx), attrs = op.fwd(t._data, *params)
    return values_indices(result_type, _result(op, values, (t,), attrs, t._rg), _wrap(idx))


_return_types = return_type


def sort(t, dim=-1, descending=False, stable=None):
    x = t._data
    # always stable here; passing stable= selects PyTorch's other overload (SortBackward1)
    key = "sort" if stable is None else "sort_stable"
    d = _dims(dim, x.ndim)[0]
    return _values_indices(key, t, _return_types("sort"), d, descending)


def argsort(t, dim=-1, descending=False, stable=False):
    x = t._data
    if x.ndim == 0:
        return _wrap(np.asarray(0))
    return _wrap(order(x, _dims(dim, x.ndim)[0], descending))


def topk(t, k, dim=-1, largest=True, sorted=True):
    x = t._data
    d = _dims(dim, x.ndim)[0]
    size = x.shape[d] if x.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    return _values_indices("topk", t, _return_types("topk"), k, d, largest)


def cumsum(t, dim, dtype=None):
    x = t._data
    d = _dims(dim, x.ndim)[0]
    if dtype is not None:
        target = to_numpy_dtype(dtype)
    else:
        target = x.dtype if x.dtype.kind == "f" else np.dtype(np.int64)
    out, attrs = _CUMSUM.fwd(x, d, target)
    return _result(_CUMSUM, out, (t,), attrs, t._rg and target.kind == "f")


def flip(t, *dims):
    if len(dims) == 1 and isinstance(dims[0], list | tuple):
        dims = tuple(dims[0])
    x = t._data
    norm = _dims(dims, x.ndim)
    for i, d in enumerate(norm):
        if d in norm[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return call(OPS["flip"], (t,), norm if x.ndim else ())


def _check_mask_shape(keep, x):
    try:
        np.broadcast_shapes(keep.shape, x.shape)
    except ValueError:
        raise _broadcast_error(keep.shape, x.shape) from None  # PyTorch names the mask "a"


def masked_fill(t, mask, value):
    if not isinstance(mask, Tensor) or mask._data.dtype != np.bool_:
        got = mask._data.dtype.name if isinstance(mask, Tensor) else "float"
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_C_TYPE_NAMES.get(got, got)}")
    keep = ~mask._data
    _check_mask_shape(keep, t._data)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        if t._data.dtype.kind == "f":  # PyTorch's other overload: the value gets a grad too
            return call(OPS["masked_fill_t"], (t, value), keep)
        value = value.item()
    if t._data.dtype.kind in "iu":
        check_int_fill(t._data.dtype, value)
    return call(OPS["masked_fill"], (t,), keep, value)


def _triangle(key, t, diagonal):
    if t._data.ndim < 2:
        raise RuntimeError(f"{key}: input tensor must have at least 2 dimensions")
    return call(OPS[key], (t,), diagonal)


def tril(t, diagonal=0):
    return _triangle("tril", t, diagonal)


def triu(t, diagonal=0):
    return _triangle("triu", t, diagonal)


_CUMSUM = OPS["cumsum"]
