"""View and fill op rows: ``as_strided`` (a view's region of its base, the node PyTorch gives a
view whose base changed in place), ``diagonal``, and the out-of-place forms of ``zero_``,
``fill_`` and ``copy_`` (``ZeroBackward0``, ``FillBackward2``/``3``, ``CopyBackwards``), which
``Tensor._inplace`` writes back into the tensor.

The nodes ``engine.views`` builds around an in-place op through a view (``copy_slices``) and for
a stale multi-output view (``stale_multi_view``) are rows of that module: they wrap another
node and run the autograd engine's node application, which sits above the rows."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..tensor_data import Tensor, _wrap
from .table import register


# ---- views -------------------------------------------------------------------------------------
def _as_strided_fwd(base, flat, vshape):
    """The region ``flat`` (flat C-order positions, None: the whole base in order) of ``base``,
    shaped ``vshape``."""
    out = base.reshape(vshape) if flat is None else base.reshape(-1)[flat]
    return out, (base.shape, flat, vshape)


def _as_strided_vjp(m, g, out, s, a, need):
    shape, flat, _ = a
    if flat is None:  # the whole base in order
        return (m.reshape(g, shape),)
    n = int(np.prod(shape, dtype=np.int64))
    return (m.reshape(m.index_scatter(g, (n,), (flat,)), shape),)


def _as_strided_sym(ns, args, attrs, out_shape):
    _, flat, vshape = attrs
    x = np.asarray(args[0])
    return x.reshape(vshape) if flat is None else x.reshape(-1)[flat]


register("as_strided", "AsStridedBackward0", _as_strided_fwd, _as_strided_vjp,
         doc="a view's region of its base", sym=_as_strided_sym)


def _diagonal_fwd(x, offset, d1, d2):
    d = np.diagonal(x, offset, d1, d2)
    # numpy's diagonal is read-only: the same strides from a writable view starting at its first
    # element make it writable, as PyTorch's is
    first = [slice(None)] * x.ndim
    first[d1], first[d2] = slice(max(-offset, 0), None), slice(max(offset, 0), None)
    return as_strided(x[tuple(first)], d.shape, d.strides), (x.shape, offset, d1, d2)


def _diagonal_vjp(m, g, out, s, a, need):
    shape, offset, d1, d2 = a
    n = int(np.prod(shape, dtype=np.int64))
    flat = np.diagonal(np.arange(n).reshape(shape), offset, d1, d2).copy()
    return (m.reshape(m.index_scatter(g, (n,), (flat,)), shape),)


register("diagonal", "DiagonalBackward0", _diagonal_fwd, _diagonal_vjp,
         doc="a.diagonal(offset, d1, d2)",
         sym=lambda ns, args, attrs, out_shape: np.diagonal(args[0], *attrs[1:4]).copy())


# ---- fills -------------------------------------------------------------------------------------
def _zeros(g):
    # a constant, as PyTorch's: not g * 0, which would keep g's history (and its nan or inf)
    return _wrap(np.zeros_like(g._data)) if isinstance(g, Tensor) else np.zeros_like(g)


def _zeros_vjp(m, g, out, s, a, need):
    return (_zeros(g),)


def _fill_t_vjp(m, g, out, s, a, need):
    return (_zeros(g) if need[0] else None,
            m.reshape(m.sum(g, None, False), ()) if need[1] else None)


def _copy_fwd(x, src):
    return np.array(np.broadcast_to(src, x.shape), dtype=x.dtype), (src.shape, src.dtype)


def _copy_vjp(m, g, out, s, a, need):
    shape, dtype = a
    return (_zeros(g) if need[0] else None,
            m.sum_to(m.cast(g, dtype), shape) if need[1] else None)


def _filled(ns, a, value):
    return ns.zeros(np.shape(a[0])) + value


register("zero", "ZeroBackward0", lambda x: (np.zeros_like(x), None), _zeros_vjp,
         doc="zeros like a", sym=lambda ns, args, attrs, out_shape: ns.zeros(np.shape(args[0])))
register("fill", "FillBackward2", lambda x, value: (np.full_like(x, value), value), _zeros_vjp,
         doc="c everywhere (c a number)",
         sym=lambda ns, args, attrs, out_shape: _filled(ns, args, ns.scalar(attrs)))
register("fill_t", "FillBackward3", lambda x, v: (np.full_like(x, v), None), _fill_t_vjp,
         doc="v everywhere (v 0-d)",
         sym=lambda ns, args, attrs, out_shape: _filled(ns, args, args[1]))
register("copy", "torch::autograd::CopyBackwards", _copy_fwd, _copy_vjp,
         doc="b broadcast to a's shape",
         sym=lambda ns, args, attrs, out_shape: _filled(ns, args, args[1]))
