"""Tensor ops that reorder or mask elements: ``sort``, ``argsort``, ``topk``, ``cumsum``,
``flip``, ``masked_fill``, ``tril``, ``triu`` (reached as Tensor methods and ``torch.*``)."""

from __future__ import annotations

import numpy as np

from .inplace_ops import check_int_fill
from .ops import OPS
from .return_types import return_type
from .tensor import _C_TYPE_NAMES, Tensor, _broadcast_error, _dims, _result, _wrap


def _order(x, d, descending):
    """Stable positions along ``d``; NaN counts as the largest value, as in PyTorch."""
    if not descending:
        return np.argsort(x, axis=d, kind="stable")
    # stable descending: sort the reversed axis ascending and reverse back, so ties keep their
    # original order and NaN (numpy's largest) comes first
    n = x.shape[d]
    rev = np.argsort(np.flip(x, d), axis=d, kind="stable")
    return np.flip(n - 1 - rev, d)


def _pick(key, t, idx, d, result_type):
    x = t._data
    values = np.take_along_axis(x, idx, d)
    grids = list(np.ix_(*[np.arange(n) for n in idx.shape]))
    grids[d] = idx
    out = _result(OPS[key], values, (t,), (x.shape, tuple(grids)))
    return result_type(out, _wrap(idx))


def _pick_scalar(key, t, result_type):
    # a 0-d input is its own sort/topk: still the op's node, as in PyTorch
    out = _result(OPS[key], t._data.copy(), (t,), ((), ()))
    return result_type(out, _wrap(np.asarray(0)))


_return_types = return_type


def sort(t, dim=-1, descending=False, stable=None):
    x = t._data
    # always stable here; passing stable= selects PyTorch's other overload (SortBackward1)
    key = "sort" if stable is None else "sort_stable"
    d = _dims(dim, x.ndim)[0]
    if x.ndim == 0:
        return _pick_scalar(key, t, _return_types("sort"))
    return _pick(key, t, _order(x, d, descending), d, _return_types("sort"))


def argsort(t, dim=-1, descending=False, stable=False):
    x = t._data
    if x.ndim == 0:
        return _wrap(np.asarray(0))
    return _wrap(_order(x, _dims(dim, x.ndim)[0], descending))


def topk(t, k, dim=-1, largest=True, sorted=True):
    x = t._data
    d = _dims(dim, x.ndim)[0]
    size = x.shape[d] if x.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if x.ndim == 0:
        return _pick_scalar("topk", t, _return_types("topk"))
    idx = _order(x, d, largest)
    idx = idx[(slice(None),) * d + (slice(0, k),)]
    return _pick("topk", t, idx, d, _return_types("topk"))


def cumsum(t, dim, dtype=None):
    from ._dtype import to_numpy_dtype

    x = t._data
    d = _dims(dim, x.ndim)[0]
    if dtype is not None:
        target = to_numpy_dtype(dtype)
    else:
        target = x.dtype if x.dtype.kind == "f" else np.dtype(np.int64)
    # ATen accumulates float in double and rounds each partial sum once
    acc = np.float64 if target.kind == "f" else np.int64
    out = np.cumsum(x.reshape(-1) if x.ndim == 0 else x, axis=d, dtype=acc)
    out = out.reshape(x.shape).astype(target, copy=False)
    return _result(OPS["cumsum"], out, (t,), d if x.ndim else None,
                   t._rg and target.kind == "f")


def flip(t, *dims):
    if len(dims) == 1 and isinstance(dims[0], list | tuple):
        dims = tuple(dims[0])
    x = t._data
    norm = _dims(dims, x.ndim)
    for i, d in enumerate(norm):
        if d in norm[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    axes = norm if x.ndim else ()
    return _result(OPS["flip"], np.flip(x, axes).copy(), (t,), axes)


def _fill_where(key, t, keep, value, inputs=None):
    x = t._data
    try:
        out = np.where(keep, x, np.asarray(value).astype(x.dtype))
    except ValueError:
        raise _broadcast_error(keep.shape, x.shape) from None  # PyTorch names the mask "a"
    keep = np.broadcast_to(keep, out.shape)
    return _result(OPS[key], out, inputs or (t,), (keep, x.shape, value))


def masked_fill(t, mask, value):
    if not isinstance(mask, Tensor) or mask._data.dtype != np.bool_:
        got = mask._data.dtype.name if isinstance(mask, Tensor) else "float"
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_C_TYPE_NAMES.get(got, got)}")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        if t._data.dtype.kind == "f":  # PyTorch's other overload: the value gets a grad too
            return _fill_where("masked_fill_t", t, ~mask._data, value._data, (t, value))
        value = value.item()
    if t._data.dtype.kind in "iu":
        check_int_fill(t._data.dtype, value)
    return _fill_where("masked_fill", t, ~mask._data, value)


def _triangle(key, t, diagonal):
    x = t._data
    if x.ndim < 2:
        raise RuntimeError(f"{key}: input tensor must have at least 2 dimensions")
    ones = np.ones(x.shape[-2:], dtype=bool)
    keep = np.tril(ones, diagonal) if key == "tril" else np.triu(ones, diagonal)
    return _fill_where(key, t, keep, 0)


def tril(t, diagonal=0):
    return _triangle("tril", t, diagonal)


def triu(t, diagonal=0):
    return _triangle("triu", t, diagonal)
