"""The ``scatter_reduce`` row (sum, prod, mean, amax, amin; ``include_self``), recorded as
ScatterReduceBackward0 with ATen's gradient:

- sum: the grad itself for ``self`` (0 where written when ``include_self=False``), gathered for
  ``src``;
- mean: the same divided by each position's count;
- amax / amin: shared evenly by every element equal to the result (self's and src's);
- prod: the product of the others, computed with zeros replaced by 1 where one zero was alone.

The counts and tie masks are constants of the forward, kept in the node's attributes; only the
product's grad depends on the inputs and is written with recorded ops under ``create_graph``.
The public function (``engine.scatter_reduce``) checks the arguments and finds the positions."""

from __future__ import annotations

import numpy as np

from ..tensor_data import Tensor, _wrap
from .table import register

_AT = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
       "amin": np.minimum}


def _forward(x, grid, src, reduce, include_self):
    """The reduced array and the number of values each position combined."""
    out = x.copy()
    count = np.ones(x.shape, dtype=np.int64) if include_self else np.zeros(x.shape, np.int64)
    np.add.at(count, grid, 1)
    if not include_self:
        written = count > 0
        if reduce in ("sum", "mean"):
            start = 0
        elif reduce == "prod":
            start = 1
        elif x.dtype.kind == "f":
            start = -np.inf if reduce == "amax" else np.inf
        else:
            info = np.iinfo(x.dtype) if x.dtype.kind in "iu" else None
            start = (info.min if reduce == "amax" else info.max) if info else reduce == "amin"
        out[written] = start
    _AT[reduce].at(out, grid, src)
    if reduce == "mean":
        n = np.maximum(count, 1)
        if x.dtype.kind == "f":
            out = (out / n).astype(x.dtype, copy=False)
        else:
            out = np.floor_divide(out, n).astype(x.dtype, copy=False)
    return out, count


def _prod_grads(m, g, s, a, need):
    grid, part, src_shape, _, include_self, _ = a
    x, src = s
    tensor = isinstance(g, Tensor)

    def reduce_(base, values):
        if tensor:
            return base.scatter_reduce(a[3], _wrap(a[5]), values, "prod",
                                       include_self=include_self)
        return _forward(np.asarray(base), grid, np.asarray(values)[part], "prod",
                        include_self)[0]

    out_self = out_src = None
    if need[0]:
        masked = x.masked_fill(x == 0, 1.0) if tensor else np.where(x == 0, 1, x)
        out_self = g * reduce_(masked, src) / masked
        if not include_self:
            out_self = m.index_fill_zero(out_self, grid)
    if need[1]:
        xs = src._data if tensor else np.asarray(src)
        zero = xs == 0
        zeros_at = np.zeros(np.shape(x), np.int64)
        np.add.at(zeros_at, grid, zero[part])
        single = np.zeros(xs.shape, bool)
        single[part] = zero[part] & (zeros_at[grid] == 1)
        if tensor:
            masked_src = src.masked_fill(_wrap(single), 1.0)
            result = x.scatter_reduce(a[3], _wrap(a[5]), src, "prod", include_self=include_self)
            alt = x.scatter_reduce(a[3], _wrap(a[5]), masked_src, "prod",
                                   include_self=include_self)
            gathered = (g * alt)[grid]
            plain = (g * result)[grid] / src.masked_fill(_wrap(zero), 1.0)[part]
            picked = m.where(single[part], gathered, plain)
        else:
            result = reduce_(x, src)
            alt = reduce_(x, np.where(single, 1, xs))
            picked = np.where(single[part], (g * alt)[grid],
                              (g * result)[grid] / np.where(zero, 1, xs)[part])
        out_src = _to_src(m, picked, part, src_shape)
    return out_self, out_src


def _to_src(m, picked, part, src_shape):
    if tuple(src_shape) == tuple(p.stop for p in part):
        return picked
    return m.index_scatter(picked, tuple(src_shape), part)


def _vjp(m, g, out, s, a, need):
    grid, part, src_shape, dim, include_self, extra = a
    reduce, coef_self, coef_src = extra[:3] if isinstance(extra, tuple) else (None, None, None)
    if reduce is None:  # prod: extra is the index array
        return _prod_grads(m, g, s, a, need)
    gs = gr = None
    if need[0]:
        gs = g if coef_self is None else g * coef_self
        if not include_self and reduce == "sum":
            gs = m.index_fill_zero(gs, grid)
    if need[1]:
        picked = m.getitem(g, grid)
        if coef_src is not None:
            picked = picked * coef_src
        gr = _to_src(m, picked, part, src_shape)
    return gs, gr


def _fwd(x, src, grid, part, dim, reduce, include_self, index):
    sv = src[part]
    out, count = _forward(x, grid, sv, reduce, include_self)
    dtype = x.dtype
    if reduce == "sum":
        extra = ("sum", None, None)
    elif reduce == "mean":
        n = np.maximum(count, 1).astype(dtype)
        coef = np.where(count > 0, 1.0 / n, 1.0).astype(dtype)
        if not include_self:  # positions no value reached keep their own value and grad
            coef = np.where(count > 0, 0.0, 1.0).astype(dtype)
        extra = ("mean", coef, (1.0 / n)[grid])
    elif reduce in ("amax", "amin"):
        with np.errstate(invalid="ignore"):
            self_hit = x == out  # counted as a tie even when not included, as in ATen
            src_hit = sv == out[grid]
        ties = self_hit.astype(np.int64)
        np.add.at(ties, grid, src_hit)
        share = 1.0 / np.maximum(ties, 1)
        coef_self = self_hit * share
        if not include_self:
            coef_self = np.where(count > 0, 0.0, coef_self)
        extra = (reduce, coef_self.astype(dtype), (src_hit * share[grid]).astype(dtype))
    else:
        extra = np.asarray(index)
    return out, (grid, part, src.shape, dim, include_self, extra)


def _sym(ns, args, attrs, out_shape):
    """sum and prod replayed; mean, amax and amin as the recorded weights (1/count, the tie
    shares) times the values: locally the same function, with the engine's split of ties."""
    grid, part, _, _, include_self, extra = attrs
    x = ns.arr(args[0])
    src = ns.arr(args[1])[part]
    written = np.zeros(x.shape, bool)
    written[grid] = True
    if not isinstance(extra, tuple) or extra[0] == "sum":
        prod = not isinstance(extra, tuple)
        out = np.array(x, copy=True)
        if not include_self:
            out[written] = 1 if prod else 0
        (np.multiply if prod else np.add).at(out, grid, src)
        return out
    _, coef_self, coef_src = extra
    out = x * ns.arr(coef_self.astype(np.float64))
    np.add.at(out, grid, src * ns.arr(coef_src.astype(np.float64)))
    return out


register("scatter_reduce", "ScatterReduceBackward0", _fwd, _vjp, save_inputs=True,
         doc="a.scatter_reduce(dim, index, b, reduce)", sym=_sym)
