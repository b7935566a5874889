"""Running reductions along a dim: ``cummax`` / ``cummin`` (values and indices, CummaxBackward0 /
CumminBackward0) and ``logcumsumexp`` (LogcumsumexpBackward0).

A running maximum's grad goes back to the element each output copied (its recorded index), as a
scatter-add, so ties and NaN follow the forward's choice: an element at least as large as (or
NaN, for the maximum; at most as small as, for the minimum) the running value takes over, as in
ATen. ``logcumsumexp``'s grad is ``dx_i = sum_{j >= i} g_j exp(x_i - out_j)``: every exponent is
at most 0, so the formula cannot overflow."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .ops import OPS, register
from .return_types import _return_type_repr
from .tensor import Tensor, _dims, _result, _wrap

register("cummax", "CummaxBackward0", None,
         lambda m, g, out, s, a, need: (m.index_scatter(g, a[0], a[1]),), doc="a.cummax(dim)")
register("cummin", "CumminBackward0", None,
         lambda m, g, out, s, a, need: (m.index_scatter(g, a[0], a[1]),), doc="a.cummin(dim)")


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
    kind = _KINDS[what]
    if d is None:
        out = _result(OPS[what], x.copy(), (self,), ((), ()))
        return kind(out, _wrap(np.asarray(0, dtype=np.int64)))
    xm = np.moveaxis(x, d, 0)
    vals = np.empty_like(xm)
    idx = np.zeros(xm.shape, dtype=np.int64)
    if xm.shape[0]:
        cur, at = xm[0].copy(), np.zeros(xm.shape[1:], dtype=np.int64)
        for i in range(xm.shape[0]):
            v = xm[i]
            with np.errstate(invalid="ignore"):
                take = (v >= cur) if largest else (v <= cur)
            if x.dtype.kind == "f":
                take = take | np.isnan(v)
            cur = np.where(take, v, cur)
            at = np.where(take, i, at)
            vals[i], idx[i] = cur, at
    vals, idx = np.moveaxis(vals, 0, d), np.moveaxis(idx, 0, d)
    grid = list(np.indices(idx.shape, sparse=True))
    grid[d] = idx
    rg = self._rg and x.dtype.kind == "f"
    out = _result(OPS[what], np.ascontiguousarray(vals), (self,), (x.shape, tuple(grid)), rg)
    return kind(out, _wrap(np.ascontiguousarray(idx)))


def cummax(self, dim):
    return _running(self, dim, True)


def cummin(self, dim):
    return _running(self, dim, False)


# ---- logcumsumexp ------------------------------------------------------------------------------
def _lcse_vjp(m, g, out, s, a, need):
    d = a
    if d is None:
        return (g,)
    x = s[0]
    if isinstance(g, Tensor):
        n = x.shape[d]
        upper = _wrap(np.triu(np.ones((n, n), bool)))
        xm, om, gm = x.movedim(d, -1), out.movedim(d, -1), g.movedim(d, -1)
        diff = (xm.unsqueeze(-1) - om.unsqueeze(-2)).masked_fill(~upper, -np.inf)
        return ((diff.exp() * gm.unsqueeze(-2)).sum(-1).movedim(-1, d),)
    xm, om, gm = (np.moveaxis(np.asarray(v), d, -1) for v in (x, out, g))
    n = xm.shape[-1]
    upper = np.triu(np.ones((n, n), bool))
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(upper, xm[..., :, None] - om[..., None, :], -np.inf)
        dx = (np.exp(diff) * gm[..., None, :]).sum(-1)
    return (np.moveaxis(dx.astype(xm.dtype, copy=False), -1, d),)


register("logcumsumexp", "LogcumsumexpBackward0", None, _lcse_vjp, save_inputs=True,
         save_out=True, doc="a.logcumsumexp(dim)")

_NAMES = {"int64": "Long", "int32": "Int", "bool": "Bool", "int16": "Short", "int8": "Char",
          "uint8": "Byte"}


def logcumsumexp(self, dim):
    x = self._data
    if x.dtype.kind != "f":
        raise NotImplementedError('"logcumsumexp_out_cpu" not implemented for '
                                  f"'{_NAMES.get(str(x.dtype), str(x.dtype))}'")
    d = _scan_dim(x, dim, "logcumsumexp")
    if d is None:
        return _result(OPS["logcumsumexp"], x.copy(), (self,), None)
    with np.errstate(invalid="ignore"):
        out = np.logaddexp.accumulate(x, axis=d) if x.size else x.copy()
    return _result(OPS["logcumsumexp"], out.astype(x.dtype, copy=False), (self,), d)


for _fn in (cummax, cummin, logcumsumexp):
    setattr(Tensor, _fn.__name__, _fn)

__all__ = ["cummax", "cummin", "logcumsumexp"]
