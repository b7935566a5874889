"""The rule of the flash-attention composite row (``sdpa_flash``: it replays the attention with
symbolic's softmax); the 3-d and transposed convolutions carry theirs in their rows
(``engine.composite_nn``). Imported by ``symbolic.rules``."""

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
