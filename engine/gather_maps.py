"""Linear maps that pick input elements, optionally weighting and summing several picks per
output element: the non-constant paddings, nearest and (bi)linear upsampling, ``Tensor.unfold``,
``F.unfold`` (im2col), ``max_unpool`` and the 3-d average pool. Each is one op row under PyTorch's
node name, all sharing one forward, one VJP and one symbolic rule.

A map is ``(in_shape, idx, w)``: ``idx`` (int64, shape ``(K, *out_shape)``) holds flat positions
into the input, ``-1`` where the output takes 0 (zero padding); ``w`` (same shape) the weights of
the ``K`` picks, or None for a plain pick (``K == 1``). The output is
``sum_k w[k] * x.flat[idx[k]]`` and its VJP scatters ``g * w[k]`` back onto ``idx[k]``, so
``create_graph`` works through ``index_scatter``."""

from __future__ import annotations

import numpy as np

from .ops import OPS, register
from .tensor import Tensor, _result, _wrap


def apply_map(x, idx, w):
    """The map's forward on a numpy array (float or the symbolic check's object arrays)."""
    flat = x.reshape(-1)
    valid = idx >= 0
    vals = flat[np.where(valid, idx, 0)] if flat.size else np.zeros(idx.shape, x.dtype)
    if not valid.all():
        vals = np.where(valid, vals, vals.dtype.type(0) if vals.dtype != object else 0)
    if w is not None:
        vals = vals * w
    return vals.sum(0) if vals.shape[0] != 1 else vals[0]


def _vjp(m, g, out, s, a, need):
    in_shape, idx, w = a
    valid = idx >= 0
    size = int(np.prod(in_shape))
    if isinstance(g, Tensor):
        gk = g.unsqueeze(0).expand(*idx.shape)
        if w is not None:
            gk = gk * _wrap(w.astype(g._data.dtype, copy=False))
        picked = gk[_wrap(valid)] if not valid.all() else gk.reshape(-1)
        return (m.index_scatter(picked, (size,), (idx[valid],)).reshape(in_shape),)
    g = np.asarray(g)
    gk = np.broadcast_to(g, idx.shape)
    if w is not None:
        gk = gk * w
    r = np.bincount(idx[valid], weights=gk[valid], minlength=size)
    return (r.astype(g.dtype, copy=False).reshape(in_shape),)


def add_row(key, name, doc):
    """Register a map row (its symbolic rule lives in ``symbolic.rules_gather``)."""
    return register(key, name, None, _vjp, doc=doc)


def run(key, x: Tensor, idx, w=None):
    """``x`` through the map, recorded as row ``key``."""
    arr = x._data
    if w is not None:
        w = w.astype(arr.dtype, copy=False)
    out = np.ascontiguousarray(apply_map(arr, idx, w))
    return _result(OPS[key], out, (x,), (tuple(arr.shape), idx, w))


def grid_index(shape):
    """Flat positions of an array of ``shape``, shaped like it."""
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
