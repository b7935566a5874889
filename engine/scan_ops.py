"""Running reductions along a dim: ``cummax`` / ``cummin`` (values and indices, CummaxBackward0 /
CumminBackward0) and ``logcumsumexp`` (LogcumsumexpBackward0): PyTorch's argument checks, then
the op's row (``engine.ops.scan``)."""

from __future__ import annotations

from collections import namedtuple

from .ops import OPS
from .return_types import _return_type_repr
from .saved_outputs import values_indices
from .tensor import Tensor, _dims, _result, _wrap


def _scan_dim(x, dim, what):
    if x.ndim == 0:
        if dim not in (0, -1):
            raise IndexError(f"{what}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
        return None
    return _dims(dim, x.ndim)[0]


def _return_type(kind):
    cls = namedtuple(kind, ["values", "indices"])
    cls.__module__ = "torch.return_types"
    cls.__repr__ = _return_type_repr
    return cls


_KINDS = {"cummax": _return_type("cummax"), "cummin": _return_type("cummin")}


def _running(self, dim, largest):
    what = "cummax" if largest else "cummin"
    x = self._data
    d = _scan_dim(x, dim, what)
    op = OPS[what]
    (vals, idx), attrs = op.fwd(x, d)
    rg = self._rg and (d is None or x.dtype.kind == "f")
    return values_indices(_KINDS[what], _result(op, vals, (self,), attrs, rg), _wrap(idx))


def cummax(self, dim):
    return _running(self, dim, True)


def cummin(self, dim):
    return _running(self, dim, False)


_NAMES = {"int64": "Long", "int32": "Int", "bool": "Bool", "int16": "Short", "int8": "Char",
          "uint8": "Byte"}


def logcumsumexp(self, dim):
    x = self._data
    if x.dtype.kind != "f":
        raise NotImplementedError('"logcumsumexp_out_cpu" not implemented for '
                                  f"'{_NAMES.get(str(x.dtype), str(x.dtype))}'")
    op = OPS["logcumsumexp"]
    out, attrs = op.fwd(x, _scan_dim(x, dim, "logcumsumexp"))
    return _result(op, out, (self,), attrs, self._rg)


for _fn in (cummax, cummin, logcumsumexp):
    setattr(Tensor, _fn.__name__, _fn)

__all__ = ["cummax", "cummin", "logcumsumexp"]
