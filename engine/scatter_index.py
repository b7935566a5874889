"""Writing into a tensor at indices: ``index_add`` / ``index_copy`` / ``index_fill`` along one dim
(IndexAddBackward0, IndexCopyBackward0, IndexFillBackward0/1) and ``scatter`` / ``scatter_add``
at an index tensor (ScatterBackward0/1, ScatterAddBackward0), out of place and in place: the
arguments checked with PyTorch's messages and the index tensor turned into numpy positions here,
the op itself in its row (``engine.ops.index``)."""

from __future__ import annotations

import builtins

import numpy as np

from .ops import OPS as _OPS
from .tensor import Tensor, _dims, _result

_C = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int", "bool": "Bool",
      "int16": "Short", "int8": "Char", "uint8": "Byte", "float16": "Half"}


def _name(a):
    return _C.get(str(a.dtype), str(a.dtype))


def _vector_index(index, what):
    if not isinstance(index, Tensor):
        raise TypeError(f"{what}(): argument 'index' must be Tensor, not {type(index).__name__}")
    i = index._data
    if i.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{what}(): Expected dtype int32/int64 for index but got: {_name(i)}")
    if i.ndim > 1:
        raise IndexError(f"{what}(): Index is supposed to be a vector, but got dim: {i.ndim} with "
                         f"type: {_name(i)} and size: {list(i.shape)}")
    return i.reshape(-1)


def _along(x, d, i, what):
    """The index tuple selecting ``i`` along dim ``d`` of ``x``, bounds checked: only
    ``index_fill`` counts negative indices from the end, as in PyTorch."""
    if x.ndim == 0:
        raise NotImplementedError(f"{what}() on a 0-d tensor is not supported by this engine")
    size = x.shape[d]
    low = -size if what == "index_fill_" else 0
    if i.size and (i.min() < low or i.max() >= size):
        bad = int(i.max()) if i.max() >= size else int(i.min())
        message = f"index {bad} is out of bounds for dimension {d} with size {size}"
        if what == "index_copy_":
            raise IndexError(f"index_copy_(): {message}")
        raise RuntimeError(message)
    return (slice(None),) * d + (i % size if size else i,)


def _check_source(x, src, d, n, what, same_dtype_msg):
    if src._data.dtype != x.dtype:
        raise RuntimeError(same_dtype_msg.format(self=_name(x), source=_name(src._data)))
    want = x.shape[:d] + (n,) + x.shape[d + 1:]
    if src._data.shape != want:
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(x.shape)} "
                           f"source.shape = {list(src._data.shape)}")


# ---- index_add / index_copy / index_fill --------------------------------------------------------
def _run(key, x, tensors, *params, rg=None):
    op = _OPS[key]
    out, attrs = op.fwd(x, *params)
    return _result(op, out, tensors, attrs, rg)


def index_add(self, dim, index, source, *, alpha=1):
    x = self._data
    i = _vector_index(index, "index_add_")
    (d,) = _dims(dim, x.ndim)
    _check_source(x, source, d, i.size, "index_add_",
                  "index_add_(): self ({self}) and source ({source}) must have the same scalar "
                  "type")
    idx = _along(x, d, i, "index_add_")
    if x.dtype.kind != "f" and isinstance(alpha, builtins.float):
        raise RuntimeError("value cannot be converted to type int64_t without overflow")
    return _run("index_add", x, (self, source), source._data, idx, alpha)


def index_copy(self, dim, index, source):
    x = self._data
    i = _vector_index(index, "index_copy_")
    (d,) = _dims(dim, x.ndim)
    _check_source(x, source, d, i.size, "index_copy_",
                  "index_copy_(): self and source expected to have the same dtype, but got "
                  "(self) {self} and (source) {source}")
    idx = _along(x, d, i, "index_copy_")
    return _run("index_copy", x, (self, source), source._data, idx)


def index_fill(self, dim, index, value):
    x = self._data
    i = _vector_index(index, "index_fill_")
    (d,) = _dims(dim, x.ndim)
    idx = _along(x, d, i, "index_fill_")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        return _run("index_fill_t", x, (self, value), value._data, idx)
    return _run("index_fill", x, (self,), idx, value, rg=self._rg)


# ---- scatter / scatter_add ------------------------------------------------------------------------
def _scatter_grid(x, d, index, src_shape, what):
    """The positions ``index`` writes to in ``x``, as a tuple of broadcastable index arrays."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{what}(): argument 'index' must be Tensor, not {type(index).__name__}")
    i = index._data
    if i.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{what}(): Expected dtype int32/int64 for index")
    if x.ndim == 0:
        raise NotImplementedError(f"{what}() on a 0-d tensor is not supported by this engine")
    if i.ndim != x.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    for k, n in enumerate(i.shape):
        if (k != d and n > x.shape[k]) or (src_shape is not None and n > src_shape[k]):
            raise RuntimeError(f"Expected index {list(i.shape)} to be smaller than self "
                               f"{list(x.shape)} apart from dimension {d}"
                               + (f" and to be smaller size than src {list(src_shape)}"
                                  if src_shape is not None else ""))
    size = x.shape[d]
    if i.size and (i.min() < 0 or i.max() >= size):
        bad = int(i.flat[np.argmax((i < 0) | (i >= size))])  # the first, as ATen's loop finds it
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {size}")
    grid = list(np.indices(i.shape, sparse=True))
    grid[d] = i.astype(np.int64) % size if size else i.astype(np.int64)
    return tuple(grid), tuple(slice(0, n) for n in i.shape)


def scatter(self, dim, index, src=None, *, value=None, reduce=None):
    if reduce is not None:
        raise NotImplementedError("scatter(reduce=) is not supported by this engine; use "
                                  "scatter_add")
    if src is None:
        src = value
    x = self._data
    (d,) = _dims(dim, x.ndim)
    if isinstance(src, Tensor):
        if src._data.dtype != x.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        grid, part = _scatter_grid(x, d, index, src._data.shape, "scatter")
        return _run("scatter", x, (self, src), src._data, grid, part)
    grid, _ = _scatter_grid(x, d, index, None, "scatter")
    return _run("scatter_value", x, (self,), grid, src, rg=self._rg)


def scatter_add(self, dim, index, src):
    x = self._data
    (d,) = _dims(dim, x.ndim)
    if src._data.dtype != x.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    grid, part = _scatter_grid(x, d, index, src._data.shape, "scatter_add")
    return _run("scatter_add", x, (self, src), src._data, grid, part)



def _inplace(fn):
    def method(self, *args, **kwargs):
        return self._inplace(lambda a: fn(a, *args, **kwargs))

    method.__name__ = fn.__name__ + "_"
    return method


for _fn in (index_add, index_copy, index_fill, scatter, scatter_add):
    setattr(Tensor, _fn.__name__, _fn)
    setattr(Tensor, _fn.__name__ + "_", _inplace(_fn))

__all__ = ["index_add", "index_copy", "index_fill", "scatter", "scatter_add"]
