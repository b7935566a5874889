"""Reduction op rows: ``sum``, ``mean``, ``max``/``min``, ``amax``/``amin``, the norms, ``prod``,
``var``/``std``. Each forward takes the input array and the reduction's checked arguments (dims
already normalised by the public method in ``engine.tensor_reductions``) and returns the output
with the attrs its VJP reads."""

from __future__ import annotations

import math

import numpy as np

from ..cascade_sum import full_sum
from .table import register


# ---- reductions --------------------------------------------------------------------------------


def _sum_vjp(m, g, out, s, a, need):
    shape, dims, keepdim = a
    if dims is not None and not keepdim:
        g = m.unsqueeze_dims(g, dims)
    return (m.expand(g, shape),)


def _mean_vjp(m, g, out, s, a, need):
    shape, dims, keepdim = a
    n = _count(shape, dims)
    if dims is not None and not keepdim:
        g = m.unsqueeze_dims(g, dims)
    return (m.expand_div(g, n, shape),)


def _count(shape, dims):
    if dims is None:
        return math.prod(shape)
    return math.prod([shape[d] for d in dims])


def _whole_sum(x, dims, keepdim):
    """PyTorch's rounding of a sum over every dim of a float32/float64 array (None where it is
    not replayed: a partial or long sum keeps numpy's)."""
    if dims is not None and len(dims) != x.ndim:
        return None
    s = full_sum(x)
    if s is not None and keepdim:
        s = s.reshape((1,) * x.ndim)
    return s


def sum_fwd(x, dims, keepdim, dtype=None):
    """``dtype``: a numpy dtype or None (bool and integers then sum in int64, as PyTorch)."""
    if dtype is not None:
        x = x.astype(dtype)
    elif x.dtype.kind in "bui":
        x = x.astype(np.int64)
    out = _whole_sum(x, dims, keepdim)
    if out is None:
        out = x.sum(axis=dims, keepdims=keepdim)
    return out, (x.shape, dims if x.ndim else None, keepdim)


_add_reduce = np.add.reduce


def mean_fwd(x, dims, keepdim):
    """``x`` floating (the public method casts by ``dtype=`` or refuses). PyTorch's mean is its
    sum divided by the count (not multiplied by its reciprocal)."""
    n = x.size if dims is None else math.prod([x.shape[d] for d in dims])
    s = _whole_sum(x, dims, keepdim)
    if s is None:
        s = _add_reduce(x, axis=dims, keepdims=keepdim)
    if n:
        out = s / n  # a Python int keeps the array's dtype
        out = out if type(out) is np.ndarray else np.asarray(out)
    else:
        out = np.full(np.shape(s), np.nan, dtype=x.dtype)
    return out, (x.shape, dims if x.ndim else None, keepdim)


# the symbolic forwards (``sym``): symbolic's rule arguments (ns, args, attrs, out_shape)
def sym_sum(ns, args, attrs, out_shape):
    return ns.sum(args[0], attrs[1], attrs[2])


def sym_mean(ns, args, attrs, out_shape):
    shape, dims, keepdim = attrs
    return ns.sum(args[0], dims, keepdim) / ns.scalar(_count(shape, dims))


register("sum", "SumBackward0", sum_fwd, _sum_vjp, doc="sum(a)", sym=sym_sum)
register("sum_dim", "SumBackward1", sum_fwd, _sum_vjp, doc="sum(a, dim)", sym=sym_sum)
register("mean", "MeanBackward0", mean_fwd, _mean_vjp, doc="mean(a)", sym=sym_mean)
register("mean_dim", "MeanBackward1", mean_fwd, _mean_vjp, doc="mean(a, dim)", sym=sym_mean)


def _extreme_all_vjp(m, g, out, s, a, need):
    # evenly split between ties, as PyTorch's evenly_distribute_backward; a nan result came
    # from the nans, which share its grad
    x = s[0]
    mask = (x != x) if bool(out != out) else x == out
    return (m.where(mask, g / m.count_true(mask), 0.0),)


register("max_all", "MaxBackward1", lambda x: (np.asarray(x.max()), None), _extreme_all_vjp,
         save_inputs=True, save_out=True, doc="max(a)",
         sym=lambda ns, args, attrs, out_shape: ns.amax(args[0], None, False))
register("min_all", "MinBackward1", lambda x: (np.asarray(x.min()), None), _extreme_all_vjp,
         save_inputs=True, save_out=True, doc="min(a)",
         sym=lambda ns, args, attrs, out_shape: ns.amin(args[0], None, False))


def _select_dim_vjp(m, g, out, s, a, need):
    shape, dim, keepdim, idx = a  # idx: int64 array of winning positions (keepdim shape)
    if not shape:  # a 0-d input is its own maximum
        return (g,)
    if not keepdim:
        g = m.unsqueeze_dims(g, (dim,))
    positions = np.arange(shape[dim]).reshape([-1 if d == dim else 1 for d in range(len(shape))])
    onehot = positions == idx
    return (m.where(onehot, g, 0.0),)


def _amax_vjp(m, g, out, s, a, need):
    dims, keepdim = a
    x = s[0]
    if not keepdim:
        g = m.unsqueeze_dims(g, dims)
        out = m.unsqueeze_dims(out, dims)
    mask = x == out
    # numpy would count in float64 (and make a float32 grad float64); a bool Tensor times a
    # Python float is float32, which a float64 grad absorbs
    ones = mask.astype(g.dtype) if isinstance(g, np.ndarray | np.generic) else mask * 1.0
    # PyTorch's (g / count) * mask: a nan result matches nothing, and its grad is nan
    return ((g / m.sum(ones, dims, True)) * mask,)


def _norm_vjp(m, g, out, s, a, need):
    dims, keepdim = a
    x = s[0]
    if dims is not None and not keepdim:
        g = m.unsqueeze_dims(g, dims)
        out = m.unsqueeze_dims(out, dims)
    # d|x|/dx = x/|x|, taken as 0 where |x| = 0 (PyTorch's subgradient)
    return (m.where(out == 0, 0.0, g * x / m.where(out == 0, 1.0, out)),)


def _extreme_dim(find):
    def fwd(x, dim, keepdim):
        """``((values, indices), attrs)`` along the one ``dim``."""
        if x.ndim == 0:  # the element itself, as MaxBackward0/MinBackward0
            return (x.copy(), np.asarray(0)), ((), None, keepdim, None)
        idx = find(x, axis=dim, keepdims=True)
        vals = np.take_along_axis(x, idx, axis=dim)
        if not keepdim:
            vals = vals.squeeze(dim)
        return ((np.asarray(vals), np.asarray(idx if keepdim else idx.squeeze(dim))),
                (x.shape, dim, keepdim, idx))

    return fwd


def _amax_fwd(reduce):
    def fwd(x, dims, keepdim):
        return np.asarray(reduce(x, axis=dims, keepdims=keepdim)), (dims, keepdim)

    return fwd


def norm_fwd(x, dims, keepdim):
    """The 2-norm over ``dims`` (None: all)."""
    out = np.asarray(np.sqrt(np.sum(x * x, axis=dims, keepdims=keepdim)), dtype=x.dtype)
    return out, (dims, keepdim)


def norm_p_fwd(x, dims, keepdim, p):
    """The ``p``-norm for a finite nonzero ``p`` other than 2."""
    a = np.abs(x)
    n = x.size if dims is None else math.prod([x.shape[d] for d in dims])
    if p == 1 or n == 1:  # one element's norm is its |x| exactly, as PyTorch's kernel
        out = np.asarray(np.sum(a, axis=dims, keepdims=keepdim), dtype=x.dtype)
    else:
        out = np.asarray(np.sum(a ** p, axis=dims, keepdims=keepdim) ** (1.0 / p), dtype=x.dtype)
    return out, (dims, keepdim, p)


# the ufuncs' reduce: np.max's Python wrapper costs more than the reduction of a small tensor
register("amax", "AmaxBackward0", _amax_fwd(np.maximum.reduce), _amax_vjp, save_inputs=True, save_out=True,
         doc="amax(a, dim)",
         sym=lambda ns, args, attrs, out_shape: ns.amax(args[0], attrs[0], attrs[1]))
register("amin", "AminBackward0", _amax_fwd(np.minimum.reduce), _amax_vjp, save_inputs=True, save_out=True,
         doc="amin(a, dim)",
         sym=lambda ns, args, attrs, out_shape: ns.amin(args[0], attrs[0], attrs[1]))
register("norm", "LinalgVectorNormBackward0", norm_fwd, _norm_vjp, save_inputs=True,
         save_out=True, doc="sqrt(sum(a**2))",
         sym=lambda ns, args, attrs, out_shape: ns.sqrt(ns.sum(args[0] * args[0], *attrs)))
def _norm_p_vjp(m, g, out, s, a, need):
    dims, keepdim, p = a
    x = s[0]
    if dims is not None and not keepdim:
        g = m.unsqueeze_dims(g, dims)
        out = m.unsqueeze_dims(out, dims)
    sign = m.sign(x)
    if p == 1:
        return (g * sign,)
    size = x * sign  # |x|
    if p < 1:
        return (sign * m.where(x == 0, 0.0, size ** (p - 1.0)) * g * out ** (1.0 - p),)
    # PyTorch's: 0 where the norm is 0
    return (sign * size ** (p - 1.0) * m.where(out == 0, 0.0, g / out ** (p - 1.0)),)


def _sym_norm_p(ns, args, attrs, out_shape):
    dims, keepdim, p = attrs
    return ns.pow(ns.sum(ns.pow(ns.abs(args[0]), p), dims, keepdim), 1.0 / p)


register("norm_p", "LinalgVectorNormBackward0", norm_p_fwd, _norm_p_vjp, save_inputs=True,
         save_out=True, doc="sum(|a|**p) ** (1/p)", sym=_sym_norm_p)
# the ndarray methods: np.argmax's Python wrapper costs more than a small tensor's search
register("max_dim", "MaxBackward0", _extreme_dim(np.ndarray.argmax), _select_dim_vjp,
         doc="max(a, dim)",
         sym=lambda ns, args, attrs, out_shape: ns.amax(args[0], (attrs[1],), attrs[2]))
register("min_dim", "MinBackward0", _extreme_dim(np.ndarray.argmin), _select_dim_vjp,
         doc="min(a, dim)",
         sym=lambda ns, args, attrs, out_shape: ns.amin(args[0], (attrs[1],), attrs[2]))


def _prod_vjp(m, g, out, s, a, need):
    shape, dims, keepdim = a
    x = s[0]
    if not shape:  # a 0-d input is its own product: the grad passes through, a constant
        return (g,)
    if dims is not None and not keepdim:
        g = m.unsqueeze_dims(g, dims)
        out = m.unsqueeze_dims(out, dims)
    if not m.any_zero(x):
        return (g * (out / x),)  # PyTorch's order of operations (its rounding)
    if dims is None and isinstance(g, np.ndarray | np.generic) and m.count_true(x == 0) > 1:
        # PyTorch's shortcut outside create_graph: every product of the others holds a zero
        # (so a nan or inf elsewhere does not reach the grad)
        return (np.zeros(shape, g.dtype),)
    # with zeros, divide-free: product of all the other elements along the reduced axes
    return (m.expand(g, shape) * m.prod_others(x, dims),)


def prod_fwd(x, dims, keepdim):
    if x.dtype.kind in "bui":
        x = x.astype(np.int64)
    return np.asarray(x.prod(axis=dims, keepdims=keepdim)), (x.shape, dims, keepdim)


def _sym_prod(ns, args, attrs, out_shape):
    return ns.prod(args[0], attrs[1], attrs[2])


register("prod", "ProdBackward0", prod_fwd, _prod_vjp, save_inputs=True, save_out=True,
         doc="prod(a)", sym=_sym_prod)
register("prod_dim", "ProdBackward1", prod_fwd, _prod_vjp, save_inputs=True, save_out=True,
         doc="prod(a, dim)", sym=_sym_prod)


def _inv(d, k):
    return k / d if d > 0 else float("inf")


def _var_vjp(m, g, out, s, a, need):
    shape, dims, correction, keepdim = a
    x = s[0]
    n = _count(shape, dims)
    if dims is not None and not keepdim:
        g = m.unsqueeze_dims(g, dims)
    centred = x - m.mean(x, dims, True)
    return (g * centred * _inv(n - correction, 2.0),)


def _std_vjp(m, g, out, s, a, need):
    shape, dims, correction, keepdim = a
    x = s[0]
    n = _count(shape, dims)
    if dims is not None and not keepdim:
        g = m.unsqueeze_dims(g, dims)
        out = m.unsqueeze_dims(out, dims)
    centred = x - m.mean(x, dims, True)
    # 0 where the deviation is 0 (PyTorch masks the 1/std there), not 0/0
    return (m.where(out == 0, 0.0, g / out) * centred * _inv(n - correction, 1.0),)


def _moment_fwd(root):
    def fwd(x, dims, correction, keepdim):
        """``x`` floating; ``correction``: the degrees of freedom subtracted from the count."""
        n = x.size if dims is None else math.prod([x.shape[d] for d in dims])
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.var(x, axis=dims, keepdims=keepdim) * (n / (n - correction)
                                                          if n > correction else np.nan)
        return (np.asarray(np.sqrt(v) if root else v, dtype=x.dtype),
                (x.shape, dims, correction, keepdim))

    return fwd


def sym_moment(root):
    """The symbolic variance (``root``: standard deviation) of attrs (shape, dims, correction,
    keepdim)."""
    def rule(ns, args, attrs, out_shape):
        shape, dims, corr, keepdim = attrs
        x = args[0]
        n = _count(shape, dims)
        d = x - ns.sum(x, dims, True) / ns.scalar(n)
        v = ns.sum(d * d, dims, keepdim) / ns.scalar(n - corr)
        return ns.sqrt(v) if root else v

    return rule


register("var", "VarBackward0", _moment_fwd(False), _var_vjp, save_inputs=True, doc="var(a)",
         sym=sym_moment(False))
register("std", "StdBackward0", _moment_fwd(True), _std_vjp, save_inputs=True, save_out=True,
         doc="std(a)", sym=sym_moment(True))


# ---- logsumexp: the public function (engine.more_ops) resolves the dims -------------------------
def _logsumexp_fwd(x, dims, keepdim):
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        mx = np.amax(x, axis=dims, keepdims=True) if x.size else np.zeros(
            [1 if i in dims else n for i, n in enumerate(x.shape)], x.dtype)
        mx = np.where(np.isinf(mx), 0, mx).astype(x.dtype)
        out = np.log(np.sum(np.exp(x - mx), axis=dims, keepdims=True)) + mx
    if not keepdim and dims:
        out = out.squeeze(dims)
    return np.asarray(out, x.dtype), (dims, keepdim)


def _logsumexp_vjp(m, g, out, s, a, need):
    dims, keepdim = a
    if not keepdim and dims:
        g = m.unsqueeze_dims(g, dims)
        out = m.unsqueeze_dims(out, dims)
    return (g * m.exp(s[0] - out),)


register("logsumexp", "LogsumexpBackward0", _logsumexp_fwd, _logsumexp_vjp, save_inputs=True,
         save_out=True, doc="log(sum(exp(a), dim))",
         sym=lambda ns, args, attrs, out_shape: ns.log(ns.sum(ns.exp(args[0]), attrs[0],
                                                              attrs[1])))
