"""The rule of ``max_unpool2d`` (the gather-map rows of ``engine.ops.nn_maps`` carry theirs in
the rows). Imported by ``symbolic.rules``."""

from __future__ import annotations

import numpy as np

from . import rule_table as rt


def _max_unpool(ns, args, attrs, out_shape):
    in_shape, rows, cols = attrs
    x = ns.arr(args[0]).reshape(rows.shape[0], -1)
    out = np.zeros((rows.shape[0], int(np.prod(out_shape)) // max(rows.shape[0], 1)),
                   dtype=x.dtype)
    out[rows, cols] = x
    return out.reshape(out_shape)


rt.register("max_unpool2d", _max_unpool)
