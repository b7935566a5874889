"""``scatter_reduce`` (sum, prod, mean, amax, amin; ``include_self``), out of place and in place:
the arguments checked with PyTorch's messages here, the op and its gradient in its row
(``engine.ops.scatter_reduce``)."""

from __future__ import annotations

from .ops import OPS
from .scatter_index import _inplace, _scatter_grid
from .tensor import Tensor, _dims, _result, _wrap

_REDUCES = ("sum", "prod", "mean", "amax", "amin")
_ROW = OPS["scatter_reduce"]


def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
    if reduce not in _REDUCES:
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    x = self._data
    (d,) = _dims(dim, x.ndim)
    if src._data.dtype != x.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    grid, part = _scatter_grid(x, d, index, src._data.shape, "scatter")
    out, attrs = _ROW.fwd(x, src._data, grid, part, d, reduce, include_self, index._data)
    if not ((self._rg or src._rg) and x.dtype.kind == "f"):
        return _wrap(out)
    return _result(_ROW, out, (self, src), attrs)


Tensor.scatter_reduce = scatter_reduce
Tensor.scatter_reduce_ = _inplace(scatter_reduce)

__all__ = ["scatter_reduce"]
