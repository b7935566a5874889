"""The public ``clamp_max``, ``logsumexp``, ``gather``, ``index_select`` and ``repeat``: each
checks its arguments with PyTorch's messages and runs its op row (``engine.ops.elementwise``,
``reduce``, ``index``, ``shape``); bound as Tensor methods here (``torch.X`` reaches them
through ``engine.functions``)."""

from __future__ import annotations

import numpy as np

from . import clamp_bounds
from .ops import OPS
from .tensor import Tensor, _check_bool_clamp, _clamp_promoted, _default, _dims, _rdims, _result

# ---- elementwise -------------------------------------------------------------------------------
_CLAMP_MAX, _LOGSUMEXP = OPS["clamp_max"], OPS["logsumexp"]


def clamp_max(self, max):
    if isinstance(max, Tensor):
        return clamp_bounds.clamp_max(self, max)
    x = self._data
    if x.dtype.kind != "f":
        _check_bool_clamp(x, None, max)
        x = _clamp_promoted(x, None, max)
    out, attrs = _CLAMP_MAX.fwd(x, max)
    return _result(_CLAMP_MAX, out, (self,), attrs, self._rg)


# ---- reductions --------------------------------------------------------------------------------
def logsumexp(self, dim, keepdim=False):
    x = self._data
    if x.dtype.kind != "f":
        x = x.astype(_default[0].np)
    dims = _rdims(dim, x.ndim)  # dim 0/-1 of a 0-d tensor: no dims; others: PyTorch's error
    out, attrs = _LOGSUMEXP.fwd(x, dims, keepdim)
    return _result(_LOGSUMEXP, out, (self,), attrs, self._rg)


# ---- indexing ----------------------------------------------------------------------------------
_GATHER, _INDEX_SELECT = OPS["gather"], OPS["index_select"]


def _index_array(index, what):
    if not isinstance(index, Tensor):
        raise TypeError(f"{what}(): argument 'index' must be Tensor, not {type(index).__name__}")
    i = index._data
    if i.dtype != np.int64 and not (what == "index_select" and i.dtype == np.int32):
        expected = "int32/int64" if what == "index_select" else "int64"
        raise RuntimeError(f"{what}(): Expected dtype {expected} for index")
    return i


def gather(self, dim, index, *, sparse_grad=False):
    x = self._data
    i = _index_array(index, "gather")
    (d,) = _dims(dim, x.ndim)
    xs = x.shape if x.ndim else (1,)
    ish = i.shape if i.ndim else (1,)
    if len(ish) != len(xs):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for k, (n, m) in enumerate(zip(ish, xs)):
        if k != d and n > m:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(i.shape)} to be no larger than self {list(x.shape)} "
                               f"apart from dimension {d}")
    if i.size and (i.min() < -xs[d] or i.max() >= xs[d]):
        bad = int(i.max()) if i.max() >= xs[d] else int(i.min())
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {xs[d]}")
    out, attrs = _GATHER.fwd(x, d, i)
    return _result(_GATHER, out, (self,), attrs, self._rg)


def index_select(self, dim, index):
    x = self._data
    i = _index_array(index, "index_select")
    if i.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    (d,) = _dims(dim, x.ndim)
    size = x.shape[d] if x.ndim else 1
    flat = i.reshape(-1)
    if flat.size and (flat.min() < -size or flat.max() >= size):
        bad = int(flat.max()) if flat.max() >= size else int(flat.min())
        raise IndexError(f"index out of range in self: index {bad} for dimension {d} of size "
                         f"{size}")
    out, attrs = _INDEX_SELECT.fwd(x, d, i)
    return _result(_INDEX_SELECT, out, (self,), attrs, self._rg)


# ---- repeat ------------------------------------------------------------------------------------
_REPEAT = OPS["repeat"]


def repeat(self, *sizes):
    if len(sizes) == 1 and isinstance(sizes[0], list | tuple):
        sizes = tuple(sizes[0])
    sizes = tuple(int(n) for n in sizes)
    x = self._data
    if len(sizes) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    out, attrs = _REPEAT.fwd(x, sizes)
    return _result(_REPEAT, out, (self,), attrs, self._rg)


for _name, _fn in (("clamp_max", clamp_max),
                   ("logsumexp", logsumexp), ("gather", gather),
                   ("index_select", index_select), ("repeat", repeat)):
    setattr(Tensor, _name, _fn)
