"""Diagonal op rows: ``trace`` and ``diag_embed`` (public functions with PyTorch's argument
checks in ``engine.math_extra``)."""

from __future__ import annotations

import numpy as np

from .table import register


def _trace_vjp(m, g, out, s, a, need):
    shape, dtype = a
    return (g * np.eye(*shape, dtype=dtype),)


def trace_fwd(x):
    """The sum of a matrix's diagonal (integers and bool in int64, as PyTorch)."""
    dt = np.int64 if x.dtype.kind in "biu" else x.dtype
    return np.asarray(np.trace(x), dtype=dt), (x.shape, x.dtype)


def _diag_positions(n, offset):
    rows = np.arange(n) + max(-offset, 0)
    cols = np.arange(n) + max(offset, 0)
    return rows, cols


def _diag_embed_vjp(m, g, out, s, a, need):
    n, offset, d1, d2 = a
    rows, cols = _diag_positions(n, offset)
    if isinstance(g, np.ndarray):
        return (np.moveaxis(g, (d1, d2), (-2, -1))[..., rows, cols],)
    return (g.movedim((d1, d2), (-2, -1))[..., rows, cols],)


def diag_embed_fwd(x, offset, d1, d2):
    """``x``'s last dim on the diagonal ``offset`` of the (normalised, distinct) dims d1, d2."""
    n = x.shape[-1] if x.ndim else 1
    size = n + abs(offset)
    out = np.zeros(x.shape[:-1] + (size, size), dtype=x.dtype)
    rows, cols = _diag_positions(n, offset)
    out[..., rows, cols] = x
    out = np.moveaxis(out, (-2, -1), (d1, d2))
    return np.ascontiguousarray(out), (n, offset, d1, d2)


def _sym_trace(ns, args, attrs, out_shape):
    return ns.sum(ns.arr(np.diagonal(args[0]).copy()), None, False)


def _sym_diag_embed(ns, args, attrs, out_shape):
    n, offset, d1, d2 = attrs
    x = ns.arr(args[0])
    size = n + abs(offset)
    out = ns.zeros(x.shape[:-1] + (size, size))
    rows, cols = _diag_positions(n, offset)
    out[..., rows, cols] = x
    return np.moveaxis(out, (-2, -1), (d1, d2))


register("trace", "TraceBackward0", trace_fwd, _trace_vjp, doc="trace(a)", sym=_sym_trace)
register("diag_embed", "DiagEmbedBackward0", diag_embed_fwd, _diag_embed_vjp,
         doc="diag_embed(a)", sym=_sym_diag_embed)
