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

from engine.ops.nn_conv import conv_forward, window_index
from engine.ops.nn_pool import winner_index

from . import rule_table as rt
from .rule_table import nice_number
from .rules_core import split_rule, transpose_rule


def _embedding(ns, args, attrs, out_shape):
    _, idx, keep, pad_zero = attrs
    out = args[0][idx]
    if pad_zero:
        zero = ns.scalar(0)
        out = ns.where((keep == 0)[..., None], zero, out)
    return out


def _piecewise_loss(ns, args, attrs, out_shape):
    reduction, n, k, huber = attrs
    d = args[0] - args[1]
    if ns.symbolic:
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
    return rt.reduce_loss(ns, loss, reduction, n)


def _convolution(ns, args, attrs, out_shape):
    x, w, b = args
    oned = attrs[4]
    if oned:
        x, w = x[:, :, None, :], w[:, :, None, :]
    out = conv_forward(ns, x, w, b, attrs)
    return out[:, :, 0, :] if oned else out


def _max_pool(ns, args, attrs, out_shape):
    return args[0][winner_index(attrs[0], attrs[1])]  # the recorded winners: locally a selection


def _constant_pad(ns, args, attrs, out_shape):
    _, inner, value = attrs
    out = ns.zeros(out_shape)
    if value:
        out[...] = ns.scalar(value)
    out[inner] = args[0]
    return out


def _window_sums(ns, x, k, st, p, d, extra, oh, ow):
    n, c, h, w = x.shape
    xp = ns.zeros((n, c, h + p[0] + extra[0], w + p[1] + extra[1]))
    xp[:, :, p[0]: p[0] + h, p[1]: p[1] + w] = x
    ih, iw = window_index(oh, ow, k[0], k[1], st, d)
    return ns.sum(xp[:, :, ih, iw], (4, 5), False)


def _avg_pool(ns, args, attrs, out_shape):
    shape, k, st, p, d, extra, div = attrs
    sums = _window_sums(ns, args[0], k, st, p, d, extra, out_shape[2], out_shape[3])
    return sums / ns.arr(div)


def _adaptive_avg_pool(ns, args, attrs, out_shape):
    _, rh, rw = attrs
    x = args[0]
    out = ns.zeros(out_shape)
    for i, (h0, h1) in enumerate(rh):
        for j, (w0, w1) in enumerate(rw):
            cell = ns.sum(x[:, :, h0:h1, w0:w1], (2, 3), False)
            out[:, :, i, j] = rt.div_count(ns, cell, (h1 - h0) * (w1 - w0))
    return out


def _normalization(ns, args, attrs, out_shape):
    x, w, b = args
    dims, eps, ps, batch, mean, invstd = attrs
    if batch:
        n = int(np.prod([x.shape[d] for d in dims], dtype=np.int64))
        d = x - rt.div_count(ns, ns.sum(x, dims, True), n)
        var = rt.div_count(ns, ns.sum(d * d, dims, True), n)
        y = d / ns.sqrt(var + ns.scalar(eps))
    else:  # running statistics: constants of the graph
        y = (x - ns.arr(mean)) * ns.arr(invstd)
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
