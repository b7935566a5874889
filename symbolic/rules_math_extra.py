"""Rules for the ops of ``engine/math_extra.py`` (``log10``, ``log2``, ``exp2`` and ``atan2``
carry theirs in their rows): ``trace``, ``diag_embed``, ``median``/``mode`` (the element the forward selected: the recorded
indices, or for a whole-tensor median the mean of the elements equal to it, which spreads the
gradient evenly as PyTorch does) and ``var_mean``/``std_mean`` (two outputs).
Imported by ``symbolic.rules``.
"""

from __future__ import annotations

import numpy as np

from . import rule_table as rt


def _trace(ns, args, attrs, out_shape):
    return ns.sum(ns.arr(np.diagonal(args[0]).copy()), None, False)


def _diag_embed(ns, args, attrs, out_shape):
    n, offset, d1, d2 = attrs
    x = ns.arr(args[0])
    size = n + abs(offset)
    out = ns.zeros(x.shape[:-1] + (size, size))
    rows = np.arange(n) + max(-offset, 0)
    cols = np.arange(n) + max(offset, 0)
    out[..., rows, cols] = x
    return np.moveaxis(out, (-2, -1), (d1, d2))


def _median_all(ns, args, attrs, out_shape):
    mask, count = attrs
    picked = ns.arr(args[0])[np.asarray(mask) != 0]
    return ns.sum(picked, None, False) / ns.scalar(count)


def _selected(ns, args, attrs, out_shape):
    shape, dim, keepdim, idx = attrs
    out = np.take_along_axis(ns.arr(args[0]), idx, axis=dim)
    return out if keepdim else out.squeeze(dim)


def _moments(ns, args, attrs, out_shape):
    key, shape, dims, corr, keepdim = attrs
    spread = rt.moment(ns, args, (shape, dims, corr, keepdim), out_shape, key == "std_mean")
    mean = rt.mean_rule(ns, args, (shape, dims if dims is not None else tuple(range(len(shape))),
                              keepdim), out_shape)
    return spread, mean


for key, rule in (("trace", _trace), ("diag_embed", _diag_embed),
                  ("median", _median_all), ("median_dim", _selected), ("mode", _selected),
                  ("var_mean", _moments), ("std_mean", _moments)):
    rt.register(key, rule)
