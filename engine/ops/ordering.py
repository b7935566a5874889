"""Ordering and masking op rows (forwards in ``engine.ordering``): ``sort``, ``topk``, ``cumsum``,
``flip``, ``masked_fill``, ``tril``/``triu``."""

from __future__ import annotations


from .table import pair, register


# ---- ordering and masking (forwards in engine.ordering) ----------------------------------------
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


register("sort", "SortBackward0", None, _scatter_back_vjp, doc="sort(a, dim).values")
register("sort_stable", "SortBackward1", None, _scatter_back_vjp,
         doc="sort(a, dim, stable=s).values")
register("topk", "TopkBackward0", None, _scatter_back_vjp, doc="topk(a, k, dim).values")
register("cumsum", "CumsumBackward0", None, _cumsum_vjp, doc="cumsum(a, dim)")
register("flip", "FlipBackward0", None, lambda m, g, out, s, a, need: (m.flip(g, a),),
         doc="a.flip(dims)")
register("masked_fill", "MaskedFillBackward0", None, _keep_vjp, doc="mask ? value : a")


def _masked_fill_tensor_vjp(m, g, out, s, a, need):
    keep, shape = a[0], a[1]
    return pair(need, lambda: m.sum_to(m.where(keep, g, 0.0), shape),
                lambda: m.reshape(m.sum(m.where(keep, 0.0, g), None, False), ()))


register("masked_fill_t", "MaskedFillBackward1", None, _masked_fill_tensor_vjp,
         doc="mask ? value : a (value a 0-d tensor)")
register("tril", "TrilBackward0", None, _keep_vjp, doc="a below diagonal k, else 0")
register("triu", "TriuBackward0", None, _keep_vjp, doc="a above diagonal k, else 0")
