"""Reduction op rows: ``sum``, ``mean``, ``max``/``min``, ``amax``/``amin``, the norms, ``prod``,
``var``/``std``."""

from __future__ import annotations

import math

import numpy as np

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


register("sum", "SumBackward0", None, _sum_vjp, doc="sum(a)")
register("sum_dim", "SumBackward1", None, _sum_vjp, doc="sum(a, dim)")
register("mean", "MeanBackward0", None, _mean_vjp, doc="mean(a)")
register("mean_dim", "MeanBackward1", None, _mean_vjp, doc="mean(a, dim)")


def _extreme_all_vjp(m, g, out, s, a, need):
    # evenly split between ties, as PyTorch's evenly_distribute_backward; a nan result came
    # from the nans, which share its grad
    x = s[0]
    mask = (x != x) if bool(out != out) else x == out
    return (m.where(mask, g / m.count_true(mask), 0.0),)


register("max_all", "MaxBackward1", None, _extreme_all_vjp, save_inputs=True, save_out=True,
         doc="max(a)")
register("min_all", "MinBackward1", None, _extreme_all_vjp, save_inputs=True, save_out=True,
         doc="min(a)")


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


register("amax", "AmaxBackward0", None, _amax_vjp, save_inputs=True, save_out=True,
         doc="amax(a, dim)")
register("amin", "AminBackward0", None, _amax_vjp, save_inputs=True, save_out=True,
         doc="amin(a, dim)")
register("norm", "LinalgVectorNormBackward0", None, _norm_vjp, save_inputs=True, save_out=True,
         doc="sqrt(sum(a**2))")
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


register("norm_p", "LinalgVectorNormBackward0", None, _norm_p_vjp, save_inputs=True,
         save_out=True, doc="sum(|a|**p) ** (1/p)")
register("max_dim", "MaxBackward0", None, _select_dim_vjp, doc="max(a, dim)")
register("min_dim", "MinBackward0", None, _select_dim_vjp, doc="min(a, dim)")


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


register("prod", "ProdBackward0", None, _prod_vjp, save_inputs=True, save_out=True, doc="prod(a)")
register("prod_dim", "ProdBackward1", None, _prod_vjp, save_inputs=True, save_out=True,
         doc="prod(a, dim)")


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


register("var", "VarBackward0", None, _var_vjp, save_inputs=True, doc="var(a)")
register("std", "StdBackward0", None, _std_vjp, save_inputs=True, save_out=True, doc="std(a)")
