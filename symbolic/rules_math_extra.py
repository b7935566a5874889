"""Rules for the ops of ``engine/math_extra.py``: ``log10``, ``log2``, ``exp2``, ``atan2``,
``trace``, ``diag_embed``, ``median``/``mode`` (the element the forward selected: the recorded
indices, or for a whole-tensor median the mean of the elements equal to it, which spreads the
gradient evenly as PyTorch does) and ``var_mean``/``std_mean`` (two outputs).
Imported by ``symbolic.rules``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import rule_table as rt


def _log_base(base):
    def rule(m, a, at, s):
        return m.log(a[0]) / m.log(m.scalar(base))

    return rule


def _exp2(m, a, at, s):
    return m.exp(a[0] * m.log(m.scalar(2)))


def _atan2(m, a, at, s):
    if m.symbolic:
        return rt.elementwise2(sp.atan2)(a[0], a[1])
    return np.arctan2(a[0], a[1])


def _trace(m, a, at, s):
    return m.sum(m.arr(np.diagonal(a[0]).copy()), None, False)


def _diag_embed(m, a, at, s):
    n, offset, d1, d2 = at
    x = m.arr(a[0])
    size = n + abs(offset)
    out = m.zeros(x.shape[:-1] + (size, size))
    rows = np.arange(n) + max(-offset, 0)
    cols = np.arange(n) + max(offset, 0)
    out[..., rows, cols] = x
    return np.moveaxis(out, (-2, -1), (d1, d2))


def _median_all(m, a, at, s):
    mask, count = at
    picked = m.arr(a[0])[np.asarray(mask) != 0]
    return m.sum(picked, None, False) / m.scalar(count)


def _selected(m, a, at, s):
    shape, dim, keepdim, idx = at
    out = np.take_along_axis(m.arr(a[0]), idx, axis=dim)
    return out if keepdim else out.squeeze(dim)


def _moments(m, a, at, s):
    key, shape, dims, corr, keepdim = at
    spread = rt.moment(m, a, (shape, dims, corr, keepdim), s, key == "std_mean")
    mean = rt.mean_rule(m, a, (shape, dims if dims is not None else tuple(range(len(shape))),
                              keepdim), s)
    return spread, mean


for key, rule in (("log10", _log_base(10)), ("log2", _log_base(2)), ("exp2", _exp2),
                  ("atan2", _atan2), ("trace", _trace), ("diag_embed", _diag_embed),
                  ("median", _median_all), ("median_dim", _selected), ("mode", _selected),
                  ("var_mean", _moments), ("std_mean", _moments)):
    rt.register(key, rule)
