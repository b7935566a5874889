"""``arange`` and ``linspace`` values as ATen computes them, which numpy's do not reproduce:
``arange`` is ``start + i * step`` in double (numpy steps by ``(start + step) - start``), and
``linspace`` fills its first half from ``start`` and its second from ``end`` with a step rounded
to the output dtype, each value one fused multiply-add."""

from __future__ import annotations

import math

import numpy as np


def _fma(x, y, z):
    """x * y + z rounded once to float64 (the product is exact in long double for the small
    integer factors used here)."""
    return (np.longdouble(x) * np.asarray(y, np.longdouble) + np.asarray(z, np.longdouble)
            ).astype(np.float64)


def arange_values(start, end, step, dt: np.dtype) -> np.ndarray:
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(float(start)) and math.isfinite(float(end))):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    n = math.ceil((float(end) - float(start)) / float(step))
    if n < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dt.kind in "iub":
        return (int(start) + np.arange(n, dtype=np.int64) * int(step)).astype(dt)
    # ATen: vectors of 4 doubles (8 floats) start at fma(step, i, start) -- in double for both
    # dtypes -- and go on by step; the last elements (fewer than two vectors) are fma(step, i,
    # start) one by one
    width = 4 if dt == np.float64 else 8
    i = np.arange(n, dtype=np.int64)
    head = n // (2 * width) * 2 * width
    first = i[:head] // width * width
    base = _fma(step, first, start)
    if dt != np.float64:
        base = base.astype(dt).astype(np.float64)
    vals = np.concatenate([_fma(step, i[:head] - first, base), _fma(step, i[head:], start)])
    return vals.astype(dt)


def linspace_values(start, end, steps: int, dt: np.dtype) -> np.ndarray:
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if steps == 0:
        return np.empty(0, dt)
    if steps == 1:
        return np.full(1, start, dt)
    if dt.kind in "iu":
        step = (float(int(end)) - float(int(start))) / (steps - 1)
        i = np.arange(steps)
        vals = np.where(i < steps // 2, _fma(step, i, int(start)),
                        _fma(-step, steps - i - 1, int(end)))
        return vals.astype(dt)
    # the step is rounded to the output dtype; each value is then one rounding of an exact
    # product and sum (a fused multiply-add), done here in a wider float
    wide = np.longdouble if dt == np.float64 else np.float64
    s, e = wide(dt.type(start)), wide(dt.type(end))
    step = wide((dt.type(end) - dt.type(start)) / dt.type(steps - 1))
    i = np.arange(steps).astype(wide)
    half = steps // 2
    vals = np.where(i < half, s + step * i, e - step * (steps - i - 1))
    return vals.astype(dt)
