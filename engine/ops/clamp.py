"""Op rows of ``clamp`` between tensor bounds: ``clamp(x, min=t, max=t)`` (ClampBackward0, whose
inputs are ``self``, ``min`` and ``max``, a bound left out being an input without an edge) and
``clamp_min``/``clamp_max`` by a tensor (ClampMinBackward1, ClampMaxBackward1). The rows of
number bounds are in ``elementwise``; the public functions (``engine.clamp_bounds``) promote the
operands and give the forwards arrays in the result's dtype.

The value is ATen's ``min(max(x, lo), hi)`` taken as ``x < lo ? lo : x`` then ``r > hi ? hi : r``
(so x itself, -0.0 included, wherever it is within the bounds), and nan where a bound is nan.
A grad goes where the value came from: to ``x`` where ``lo <= x <= hi``, to ``lo`` where
``x < lo < hi``, to ``hi`` where ``x > hi`` or ``hi < lo``; nowhere at a nan or where ``x < lo ==
hi`` (PyTorch's rule, ties included)."""

from __future__ import annotations

import numpy as np

from .table import register


def _nan_where(r, bound):
    if r.dtype.kind == "f":
        r = np.where(np.isnan(bound), bound, r)
    return r


def clamp_t_fwd(x, lo, hi, shapes):
    """``x`` between arrays ``lo`` and ``hi`` (either None), all three in the result's dtype;
    ``shapes``: the inputs' shapes and, where they differ from the result's, dtypes."""
    r = x
    if lo is not None:
        r = _nan_where(np.where(r < lo, lo, r), lo)
    if hi is not None:
        r = _nan_where(np.where(r > hi, hi, r), hi)
    return np.asarray(r, dtype=x.dtype), shapes


def _back(m, g, grad, shapes, i):
    """``grad`` summed to input ``i``'s shape, in its dtype where the op promoted it."""
    grad = m.sum_to(grad, shapes[0][i])
    dt = shapes[1][i]
    return grad if dt is None or dt.kind != "f" else m.cast(grad, dt)


def _clamp_t_vjp(m, g, out, s, a, need):
    x, lo, hi = s
    if lo is None:
        keep = x <= hi
    elif hi is None:
        keep = x >= lo
    else:
        keep = (x >= lo) & (x <= hi)
    return (
        _back(m, g, m.where(keep, g, 0.0), a, 0) if need[0] else None,
        _back(m, g, m.where((x < lo) & (lo < hi) if hi is not None else x < lo, g, 0.0), a, 1)
        if need[1] else None,
        _back(m, g, m.where((x > hi) | (hi < lo) if lo is not None else x > hi, g, 0.0), a, 2)
        if need[2] else None)


def _one_bound_vjp(inside, beyond):
    def vjp(m, g, out, s, a, need):
        x, b = s
        return (_back(m, g, m.where(inside(x, b), g, 0.0), a, 0) if need[0] else None,
                _back(m, g, m.where(beyond(x, b), g, 0.0), a, 1) if need[1] else None)
    return vjp


def _sym(ns, args, attrs, out_shape):
    lo = args[1] if len(args) > 1 else None
    hi = args[2] if len(args) > 2 else None
    r = args[0] if lo is None else ns.maximum(args[0], lo)
    return r if hi is None else ns.minimum(r, hi)


register("clamp_t", "ClampBackward0", clamp_t_fwd, _clamp_t_vjp, save_inputs=True,
         doc="min(max(a, lo), hi), tensor bounds", sym=_sym)
register("clamp_min_t", "ClampMinBackward1",
         lambda x, lo, shapes: clamp_t_fwd(x, lo, None, shapes),
         _one_bound_vjp(lambda x, b: x >= b, lambda x, b: x < b), save_inputs=True,
         doc="max(a, lo), a tensor bound", sym=_sym)
register("clamp_max_t", "ClampMaxBackward1",
         lambda x, hi, shapes: clamp_t_fwd(x, None, hi, shapes),
         _one_bound_vjp(lambda x, b: x <= b, lambda x, b: x > b), save_inputs=True,
         doc="min(a, hi), a tensor bound",
         sym=lambda ns, args, attrs, out_shape: ns.minimum(args[0], args[1]))
