"""Gather-map rows: linear maps that pick input elements, optionally weighting and summing
several picks per output element — the non-constant paddings, nearest and (bi/tri)linear
upsampling, ``Tensor.unfold``, ``F.unfold`` (im2col) and ``F.fold`` (col2im), the 3-d average
pool. Each is one row under PyTorch's node name; all share one forward, one VJP and one symbolic
forward (the public functions in ``engine.nn`` and ``engine.windows`` build the map).

A map is ``(idx, w)``: ``idx`` (int64, shape ``(K, *out_shape)``) holds flat positions into the
input, ``-1`` where the output takes 0 (zero padding); ``w`` (same shape) the weights of the
``K`` picks, or None for a plain pick (``K == 1``). The output is
``sum_k w[k] * x.flat[idx[k]]`` and its VJP scatters ``g * w[k]`` back onto ``idx[k]``, so
``create_graph`` works through ``index_scatter``."""

from __future__ import annotations

import numpy as np

from ..ns import NP
from .table import register


def apply_map(x, idx, w):
    """The map's forward on an array (float, or the symbolic check's object arrays)."""
    flat = x.reshape(-1)
    valid = idx >= 0
    vals = flat[np.where(valid, idx, 0)] if flat.size else np.zeros(idx.shape, x.dtype)
    if not valid.all():
        vals = np.where(valid, vals, vals.dtype.type(0) if vals.dtype != object else 0)
    if w is not None:
        vals = vals * w
    return vals.sum(0) if vals.shape[0] != 1 else vals[0]


def _map_fwd(x, idx, w=None):
    if w is not None:
        w = w.astype(x.dtype, copy=False)
    return np.ascontiguousarray(apply_map(x, idx, w)), (tuple(x.shape), idx, w)


def _map_vjp(m, g, out, s, a, need):
    in_shape, idx, w = a
    valid = idx >= 0
    size = int(np.prod(in_shape))
    if m is not NP:
        gk = g.unsqueeze(0).expand(*idx.shape)
        if w is not None:
            gk = gk * w  # w has the forward's dtype, as g has
        picked = m.getitem(gk, valid) if not valid.all() else gk.reshape(-1)
        return (m.index_scatter(picked, (size,), (idx[valid],)).reshape(in_shape),)
    g = np.asarray(g)
    gk = np.broadcast_to(g, idx.shape)
    if w is not None:
        gk = gk * w
    r = np.bincount(idx[valid], weights=gk[valid], minlength=size)
    return (r.astype(g.dtype, copy=False).reshape(in_shape),)


def _map_sym(ns, args, attrs, out_shape):
    _, idx, w = attrs
    return apply_map(ns.arr(args[0]), idx, None if w is None else ns.arr(w.astype(np.float64)))


def is_gather_map(op) -> bool:
    """Whether ``op`` is one of the gather-map rows (they share one VJP)."""
    return op.vjp is _map_vjp


_LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}
_MAPS = [
    ("unfold", "UnfoldBackward0", "a.unfold(dim, size, step)"),
    ("im2col", "Im2ColBackward0", "F.unfold(a, kernel_size)"),
    ("col2im", "Col2ImBackward0", "F.fold(a, output_size, kernel_size)"),
    ("avg_pool3d", "AvgPool3DBackward0", "mean over each 3-d window"),
    # PyTorch writes circular padding into a new tensor by slices: its node is CopySlices
    ("circular_pad", "torch::autograd::CopySlices", "F.pad(a, mode='circular')"),
]
for _n in (1, 2, 3):
    _MAPS += [
        (f"reflection_pad{_n}d", f"ReflectionPad{_n}DBackward0",
         f"F.pad(a, mode='reflect') over the last {_n} dims"),
        (f"replication_pad{_n}d", f"ReplicationPad{_n}DBackward0",
         f"F.pad(a, mode='replicate') over the last {_n} dims"),
        (f"upsample_nearest{_n}d", f"UpsampleNearest{_n}DBackward0",
         f"F.interpolate(a, mode='nearest'), {_n} spatial dims"),
        (f"upsample_nearest_exact{_n}d", f"UpsampleNearestExact{_n}DBackward0",
         f"F.interpolate(a, mode='nearest-exact'), {_n} spatial dims"),
        (f"upsample_{_LINEAR[_n]}{_n}d", f"Upsample{_LINEAR[_n].capitalize()}{_n}DBackward0",
         f"F.interpolate(a, mode='{_LINEAR[_n]}')"),
    ]
for _key, _name, _doc in _MAPS:
    register(_key, _name, _map_fwd, _map_vjp, doc=_doc, sym=_map_sym)
