"""Rules for the gather-map rows of ``engine.gather_maps`` (the non-constant paddings,
upsampling, unfold, im2col, max_unpool, avg_pool3d): each output element is a weighted sum of
recorded input elements, so the rule replays the recorded map on the namespace's arrays.
Imported by ``symbolic.rules``."""

from __future__ import annotations

import numpy as np

from engine.gather_maps import apply_map
from engine.ops import OPS

from . import rule_table as rt


def _map(ns, args, attrs, out_shape):
    _, idx, w = attrs
    x = ns.arr(args[0])
    if w is not None:
        w = ns.arr(w.astype(np.float64))
    return apply_map(x, idx, w)


def register_all():
    """A rule for every gather-map row registered so far."""
    from engine.gather_maps import _vjp

    for key, op in OPS.items():
        if op.vjp is _vjp and key not in rt.RULES:
            rt.register(key, _map)


from engine.nn import pad_modes as _pad_modes  # noqa: E402, F401  (these register rows)
from engine.nn import resample as _resample  # noqa: E402, F401
from engine.nn import unfold as _unfold  # noqa: E402, F401
from engine.nn import pool_more as _pool_more  # noqa: E402, F401
from engine import windows as _windows  # noqa: E402, F401

register_all()


def _max_unpool(ns, args, attrs, out_shape):
    in_shape, rows, cols = attrs
    x = ns.arr(args[0]).reshape(rows.shape[0], -1)
    out = np.zeros((rows.shape[0], int(np.prod(out_shape)) // max(rows.shape[0], 1)),
                   dtype=x.dtype)
    out[rows, cols] = x
    return out.reshape(out_shape)


rt.register("max_unpool2d", _max_unpool)
