"""Statistics op rows: ``median`` (all, along a dim), ``mode``, and ``var_mean``/``std_mean`` (one
node with two outputs). Their public functions, with PyTorch's argument checks, are in
``engine.math_extra``."""

from __future__ import annotations

import math

import numpy as np

from .reduce import _moment_fwd, _select_dim_vjp, mean_fwd, sym_mean, sym_moment
from .table import register


def _evenly_vjp(m, g, out, s, a, need):
    mask, count = a  # the gradient is shared by every element equal to the result
    return (g * mask / count,)


def median_fwd(x):
    """The lower median of all elements (``x`` non-empty)."""
    flat = np.sort(x.reshape(-1), kind="stable")
    value = flat[(flat.size - 1) // 2]
    mask = (x == value).astype(x.dtype)
    return np.asarray(value, dtype=x.dtype), (mask, int(mask.sum()) or 1)


def _pick_along(x, d, idx, keepdim):
    """``((values, indices), attrs)`` of the positions ``idx`` (keepdim shape) along ``d``."""
    vals = np.take_along_axis(x, idx, axis=d)
    if not keepdim:
        vals = vals.squeeze(d)
    indices = np.asarray(idx if keepdim else idx.squeeze(d), dtype=np.int64)
    return (np.asarray(vals), indices), (x.shape, d, keepdim, idx)


def median_dim_fwd(x, d, keepdim):
    """The lower median along ``d`` (``x`` at least 1-d) and its position."""
    order = np.argsort(x, axis=d, kind="stable")
    idx = np.take(order, [(x.shape[d] - 1) // 2], axis=d)
    return _pick_along(x, d, idx, keepdim)


def mode_fwd(x, d, keepdim):
    """The most frequent value along ``d`` (the smallest of a tie) and its last position, as
    ATen reports it (``x`` at least 1-d)."""
    moved = np.moveaxis(x, d, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    best = np.empty(rows.shape[0], dtype=np.int64)
    for i, row in enumerate(rows):
        values, counts = np.unique(row, return_counts=True)
        best[i] = np.flatnonzero(row == values[np.argmax(counts)])[-1]
    idx = np.expand_dims(best.reshape(moved.shape[:-1]), d)
    return _pick_along(x, d, idx, keepdim)


# symbolically the element the forward selected: the recorded indices, or for a whole-tensor
# median the mean of the elements equal to it, which spreads the gradient evenly as PyTorch does
def _sym_median(ns, args, attrs, out_shape):
    mask, count = attrs
    picked = ns.arr(args[0])[np.asarray(mask) != 0]
    return ns.sum(picked, None, False) / ns.scalar(count)


def _sym_selected(ns, args, attrs, out_shape):
    shape, dim, keepdim, idx = attrs
    out = np.take_along_axis(ns.arr(args[0]), idx, axis=dim)
    return out if keepdim else out.squeeze(dim)


# self and the result are kept (unread by the VJP) as PyTorch's node keeps them
register("median", "MedianBackward0", median_fwd, _evenly_vjp, save_inputs=True, save_out=True,
         doc="median(a)", sym=_sym_median)
register("median_dim", "MedianBackward1", median_dim_fwd, _select_dim_vjp, doc="median(a, dim)",
         sym=_sym_selected)
register("mode", "ModeBackward0", mode_fwd, _select_dim_vjp, doc="mode(a, dim)",
         sym=_sym_selected)


# ---- var_mean, std_mean: one node with two outputs ---------------------------------------------
def _moments_vjp(m, grads, out, s, a, need):
    key, shape, dims, correction, keepdim = a
    x = s[0]
    g_first, g_mean = grads
    n = _count(shape, dims)
    total = None
    if g_first is not None:
        g = g_first if dims is None or keepdim else m.unsqueeze_dims(g_first, dims)
        centred = x - m.mean(x, dims, True)
        scale = 1.0 / (n - correction) if n > correction else math.inf
        if key == "var_mean":
            total = g * centred * (2.0 * scale)
        else:
            std = (m.sum(centred * centred, dims, True) * scale) ** 0.5
            total = g * centred * scale / std
    if g_mean is not None:
        g = g_mean if dims is None or keepdim else m.unsqueeze_dims(g_mean, dims)
        part = m.expand(g / n, shape)
        total = part if total is None else total + part
    return (total,)


def _count(shape, dims):
    if dims is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[d] for d in dims], dtype=np.int64))


_SPREAD = {"var_mean": _moment_fwd(False), "std_mean": _moment_fwd(True)}


def _moments_fwd(key):
    spread = _SPREAD[key]

    def fwd(x, dims, correction, keepdim):
        """``((var or std, mean), attrs)`` over ``dims`` (None: all), ``x`` floating."""
        rdims = () if x.ndim == 0 and dims is not None else dims
        first, _ = spread(x, rdims, correction, keepdim)
        mean, _ = mean_fwd(x, tuple(range(x.ndim)) if dims is None else dims, keepdim)
        return (first, mean), (key, x.shape, dims, correction, keepdim)

    return fwd


_SYM_SPREAD = {"var_mean": sym_moment(False), "std_mean": sym_moment(True)}


def _sym_moments(ns, args, attrs, out_shape):
    key, shape, dims, corr, keepdim = attrs
    spread = _SYM_SPREAD[key](ns, args, (shape, dims, corr, keepdim), out_shape)
    every = tuple(range(len(shape)))
    return spread, sym_mean(ns, args, (shape, every if dims is None else dims, keepdim), None)


register("var_mean", "VarMeanBackward0", _moments_fwd("var_mean"), _moments_vjp,
         save_inputs=True, doc="var_mean(a)", sym=_sym_moments)
register("std_mean", "StdMeanBackward0", _moments_fwd("std_mean"), _moments_vjp,
         save_inputs=True, doc="std_mean(a)", sym=_sym_moments)
