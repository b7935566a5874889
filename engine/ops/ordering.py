"""Ordering and masking op rows: ``sort``, ``topk``, ``cumsum``, ``flip``, ``masked_fill``,
``tril``/``triu``. Their public functions, with PyTorch's argument checks, are in
``engine.ordering``; ``d``/``axes`` reach the forwards normalised."""

from __future__ import annotations

import numpy as np

from .table import pair, register


def order(x, d, descending):
    """Stable positions along ``d``; NaN counts as the largest value, as in PyTorch."""
    if not descending:
        return np.argsort(x, axis=d, kind="stable")
    # stable descending: sort the reversed axis ascending and reverse back, so ties keep their
    # original order and NaN (numpy's largest) comes first
    n = x.shape[d]
    rev = np.argsort(np.flip(x, d), axis=d, kind="stable")
    return np.flip(n - 1 - rev, d)


def _pick(x, idx, d):
    """``((values, indices), attrs)``: the elements at positions ``idx`` along ``d``."""
    values = np.take_along_axis(x, idx, d)
    grids = list(np.ix_(*[np.arange(n) for n in idx.shape]))
    grids[d] = idx
    return (values, idx), (x.shape, tuple(grids))


def _itself(x):
    # a 0-d input is its own sort/topk: still the op's node, as in PyTorch
    return (x.copy(), np.asarray(0)), ((), ())


def sort_fwd(x, d, descending):
    if x.ndim == 0:
        return _itself(x)
    return _pick(x, order(x, d, descending), d)


def topk_fwd(x, k, d, largest):
    """The ``k`` largest (smallest) along ``d``, in order (``0 <= k <= size`` checked)."""
    if x.ndim == 0:
        return _itself(x)
    idx = order(x, d, largest)[(slice(None),) * d + (slice(0, k),)]
    return _pick(x, idx, d)


def cumsum_fwd(x, d, dtype):
    """``dtype``: the result's numpy dtype (ATen accumulates float in double and rounds each
    partial sum once)."""
    acc = np.float64 if dtype.kind == "f" else np.int64
    out = np.cumsum(x.reshape(-1) if x.ndim == 0 else x, axis=d, dtype=acc)
    return out.reshape(x.shape).astype(dtype, copy=False), (d if x.ndim else None)


def _fill(x, keep, value):
    """``x`` where ``keep``, else ``value``; attrs: the mask broadcast to the output (the shapes
    broadcast: checked by the public function)."""
    out = np.where(keep, x, np.asarray(value).astype(x.dtype))
    return out, (np.broadcast_to(keep, out.shape), x.shape, value)


def masked_fill_fwd(x, keep, value):
    return _fill(x, keep, value)


def masked_fill_t_fwd(x, value, keep):
    """The value a 0-d array (an input of its own: it gets a grad)."""
    return _fill(x, keep, value)


def _triangle_fwd(tri):
    def fwd(x, diagonal):
        """``x`` (at least 2-d) with the elements off the triangle set to 0."""
        keep = tri(np.ones(x.shape[-2:], dtype=bool), diagonal)
        return _fill(x, keep, 0)

    return fwd


# ---- VJPs --------------------------------------------------------------------------------------
def _scatter_back_vjp(m, g, out, s, a, need):
    # a[1] is the advanced index of the picked positions: their grads go back where they came from
    shape, idx = a
    return (m.index_scatter(g, shape, idx),)


def _cumsum_vjp(m, g, out, s, a, need):
    if a is None:  # 0-d input: the identity
        return (g,)
    d = (a,)
    return (m.flip(m.cumsum(m.flip(g, d), a), d),)


def _keep_vjp(m, g, out, s, a, need):
    # a: (bool mask of the elements whose grad passes, input shape, fill value); the mask may
    # broadcast the input (masked_fill)
    keep, shape = a[0], a[1]
    return (m.sum_to(m.where(keep, g, 0.0), shape),)


# the symbolic forwards (``sym``): symbolic's rule arguments (ns, args, attrs, out_shape)
def _sym_picked(ns, args, attrs, out_shape):
    return args[0][attrs[1]]  # the recorded positions: locally the op is this fixed selection


def _sym_cumsum(ns, args, attrs, out_shape):
    return args[0] if attrs is None else np.cumsum(args[0], axis=attrs)


def _sym_kept(ns, args, attrs, out_shape):
    keep, _, value = attrs
    return ns.where(keep, args[0], args[1] if len(args) > 1 else ns.scalar(value))


register("sort", "SortBackward0", sort_fwd, _scatter_back_vjp, doc="sort(a, dim).values",
         sym=_sym_picked)
register("sort_stable", "SortBackward1", sort_fwd, _scatter_back_vjp,
         doc="sort(a, dim, stable=s).values", sym=_sym_picked)
register("topk", "TopkBackward0", topk_fwd, _scatter_back_vjp, doc="topk(a, k, dim).values",
         sym=_sym_picked)
register("cumsum", "CumsumBackward0", cumsum_fwd, _cumsum_vjp, doc="cumsum(a, dim)",
         sym=_sym_cumsum)
register("flip", "FlipBackward0", lambda x, axes: (np.flip(x, axes).copy(), axes),
         lambda m, g, out, s, a, need: (m.flip(g, a),), doc="a.flip(dims)",
         sym=lambda ns, args, attrs, out_shape: np.flip(args[0], attrs))
register("masked_fill", "MaskedFillBackward0", masked_fill_fwd, _keep_vjp,
         doc="mask ? value : a", sym=_sym_kept)


def _masked_fill_tensor_vjp(m, g, out, s, a, need):
    keep, shape = a[0], a[1]
    return pair(need, lambda: m.sum_to(m.where(keep, g, 0.0), shape),
                lambda: m.reshape(m.sum(m.where(keep, 0.0, g), None, False), ()))


register("masked_fill_t", "MaskedFillBackward1", masked_fill_t_fwd, _masked_fill_tensor_vjp,
         doc="mask ? value : a (value a 0-d tensor)", sym=_sym_kept)
register("tril", "TrilBackward0", _triangle_fwd(np.tril), _keep_vjp,
         doc="a below diagonal k, else 0", sym=_sym_kept)
register("triu", "TriuBackward0", _triangle_fwd(np.triu), _keep_vjp,
         doc="a above diagonal k, else 0", sym=_sym_kept)
