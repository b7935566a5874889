"""Rules for the layer ops registered by ``engine.nn``'s layer modules: ``embedding``, the
piecewise losses (``smooth_l1_loss``, ``huber_loss``), and the layers added beside them.
Imported by ``symbolic.rules``.

``embedding`` is the lookup ``weight[indices]``. PyTorch gives the ``padding_idx`` row no grad
and initialises it to zeros: while that row held zeros at the forward, its positions enter as
the constant 0, so closed form and engine agree; a padding row the user filled is looked up
(its replay is exact, and the check reports the grad PyTorch withholds as a disagreement), as
is ``scale_grad_by_freq``, whose scaled grads no forward function has.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import rule_table as rt
from .rule_table import nice_number
from .rules_core import split_rule, transpose_rule


def _embedding(m, a, at, s):
    _, idx, keep, pad_zero = at
    out = a[0][idx]
    if pad_zero:
        zero = m.scalar(0)
        out = m.where((keep == 0)[..., None], zero, out)
    return out


def _piecewise_loss(m, a, at, s):
    reduction, n, k, huber = at
    d = a[0] - a[1]
    if m.symbolic:
        kk = nice_number(k)
        half = sp.Rational(1, 2)

        def one(v):
            quad = half * v**2 if huber else half * v**2 / kk
            lin = kk * (sp.Abs(v) - half * kk) if huber else sp.Abs(v) - half * kk
            return sp.Piecewise((quad, sp.Abs(v) < kk), (lin, True))

        loss = rt.elementwise(one)(d)
    else:
        ad = np.abs(d)
        if huber:
            loss = np.where(ad < k, 0.5 * d * d, k * (ad - 0.5 * k))
        else:
            loss = np.where(ad < k, 0.5 * d * d / k, ad - 0.5 * k)
    return rt.reduce_loss(m, loss, reduction, n)


def _convolution(m, a, at, s):
    from engine.nn.conv import conv_forward

    x, w, b = a
    oned = at[4]
    if oned:
        x, w = x[:, :, None, :], w[:, :, None, :]
    out = conv_forward(m, x, w, b, at)
    return out[:, :, 0, :] if oned else out


def _max_pool(m, a, at, s):
    from engine.nn.pooling import winner_index

    return a[0][winner_index(at[0], at[1])]  # the recorded winners: locally a selection


def _constant_pad(m, a, at, s):
    widths, inner = at
    out = m.zeros(s)
    out[inner] = a[0]
    return out


def _window_sums(m, x, k, st, p, d, extra, oh, ow):
    n, c, h, w = x.shape
    xp = m.zeros((n, c, h + p[0] + extra[0], w + p[1] + extra[1]))
    xp[:, :, p[0]: p[0] + h, p[1]: p[1] + w] = x
    from engine.nn.conv import window_index

    ih, iw = window_index(oh, ow, k[0], k[1], st, d)
    return m.sum(xp[:, :, ih, iw], (4, 5), False)


def _avg_pool(m, a, at, s):
    shape, k, st, p, d, extra, div = at
    sums = _window_sums(m, a[0], k, st, p, d, extra, s[2], s[3])
    return sums / m.arr(div)


def _adaptive_avg_pool(m, a, at, s):
    _, rh, rw = at
    x = a[0]
    out = m.zeros(s)
    for i, (h0, h1) in enumerate(rh):
        for j, (w0, w1) in enumerate(rw):
            cell = m.sum(x[:, :, h0:h1, w0:w1], (2, 3), False)
            out[:, :, i, j] = rt.div_count(m, cell, (h1 - h0) * (w1 - w0))
    return out


def _normalization(m, a, at, s):
    x, w, b = a
    dims, eps, ps, batch, mean, invstd = at
    if batch:
        n = int(np.prod([x.shape[d] for d in dims], dtype=np.int64))
        d = x - rt.div_count(m, m.sum(x, dims, True), n)
        var = rt.div_count(m, m.sum(d * d, dims, True), n)
        y = d / m.sqrt(var + m.scalar(eps))
    else:  # running statistics: constants of the graph
        y = (x - m.arr(mean)) * m.arr(invstd)
    if w is not None:
        y = y * w.reshape(ps)
    if b is not None:
        y = y + b.reshape(ps)
    return y


for _key, _rule in {
    "unsafe_split": split_rule,
    "transpose_": transpose_rule,
    "native_batch_norm": _normalization,
    "native_layer_norm": _normalization,
    "convolution": _convolution,
    "constant_pad_nd": _constant_pad,
    "max_pool2d": _max_pool,
    "avg_pool2d": _avg_pool,
    "adaptive_avg_pool2d": _adaptive_avg_pool,
    "embedding": _embedding,
    "smooth_l1_loss": _piecewise_loss,
    "huber_loss": _piecewise_loss,
}.items():
    rt.register(_key, _rule)
