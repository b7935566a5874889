"""The rule of ``engine.scatter_reduce`` (the scan rows ``cummax``, ``cummin`` and
``logcumsumexp`` carry theirs, ``engine.ops.scan``). Imported by ``symbolic.rules``."""

from __future__ import annotations

import numpy as np

from . import rule_table as rt


def _scatter_reduce(ns, args, attrs, out_shape):
    """sum and prod replayed; mean, amax and amin as the recorded weights (1/count, the tie
    shares) times the values: locally the same function, with the engine's split of ties."""
    grid, part, _, _, include_self, extra = attrs
    x = ns.arr(args[0])
    src = ns.arr(args[1])[part]
    written = np.zeros(x.shape, bool)
    written[grid] = True
    if not isinstance(extra, tuple) or extra[0] == "sum":
        prod = not isinstance(extra, tuple)
        out = np.array(x, copy=True)
        if not include_self:
            out[written] = 1 if prod else 0
        (np.multiply if prod else np.add).at(out, grid, src)
        return out
    _, coef_self, coef_src = extra
    out = x * ns.arr(coef_self.astype(np.float64))
    np.add.at(out, grid, src * ns.arr(coef_src.astype(np.float64)))
    return out


rt.register("scatter_reduce", _scatter_reduce)
