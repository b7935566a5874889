"""Rules for the composite rows (``engine.composite_rows``): flash attention, and the 3-d and
transposed convolutions. Each replays the row's math on the namespace's arrays. Imported by
``symbolic.rules``."""

from __future__ import annotations

import numpy as np

from . import rule_table as rt
from .rule_table import nice_number
from .rules_core import _softmax


def _sdpa(ns, args, attrs, out_shape):
    q, k, v = args
    bias, scale, _, groups = attrs
    if groups > 1:
        k = np.repeat(k, groups, axis=-3)
        v = np.repeat(v, groups, axis=-3)
    scores = ns.matmul(q, np.swapaxes(k, -1, -2)) * (nice_number(scale) if ns.symbolic else scale)
    dead = None
    if bias is not None:
        b = np.asarray(bias._data, dtype=np.float64)
        dead = np.all(np.isneginf(b), -1, keepdims=True)
        scores = scores + ns.arr(np.where(dead, 0.0, b))
    w = _softmax(ns, scores, -1)
    if dead is not None and dead.any():
        w = np.where(np.broadcast_to(dead, w.shape), ns.scalar(0), w)
    return ns.matmul(w, v)


rt.register("sdpa_flash", _sdpa)


def _conv(array_fn):
    def rule(ns, args, attrs, out_shape):
        x, w, b = args
        return array_fn(ns.matmul, ns.arr(x), ns.arr(w), None if b is None else ns.arr(b), attrs)

    return rule


def _register_convs():
    from engine.composite_nn import conv_nd_array, conv_transpose_array

    rt.register("convolution_nd", _conv(conv_nd_array))
    rt.register("convolution_transpose", _conv(conv_transpose_array))


_register_convs()
