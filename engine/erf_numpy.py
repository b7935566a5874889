"""erf for numpy, which has none.

float64 arrays go through libm's ``erf`` element by element (the bits ATen's scalar path gets);
anything else is computed in float64 from a table of Taylor expansions about points 1/256
apart (within one float64 ulp of libm, 10x faster than the element loop), then rounded to its dtype:
for float32 that is the correctly rounded erf, as glibc's ``erff`` gives.
"""

from __future__ import annotations

import math

import numpy as np

_STEP = 256  # grid points per unit
_TOP = 6.0  # past it erf is +-1 in double (erfc(6) = 2e-17)
_TERMS = 6  # |d| <= 1/512: the first dropped term is below 1e-20

_libm_erf = np.frompyfunc(math.erf, 1, 1)


def _taylor_columns():
    grid = np.arange(int(_TOP * _STEP) + 1) / _STEP
    # erf^(n)(x) = 2/sqrt(pi) (-1)^(n-1) H_{n-1}(x) exp(-x^2), H the physicists' Hermite
    # polynomials: H_n = 2x H_{n-1} - 2(n-1) H_{n-2}
    scale = 2.0 / math.sqrt(math.pi) * np.exp(-grid * grid)
    cols = [np.array([math.erf(v) for v in grid])]
    h_prev, h, fact = np.zeros_like(grid), np.ones_like(grid), 1.0
    for n in range(1, _TERMS + 1):
        fact *= n
        cols.append((-1) ** (n - 1) * h * scale / fact)
        h_prev, h = h, 2.0 * grid * h - 2.0 * (n - 1) * h_prev
    return cols[::-1]  # highest power first, for Horner


_COLUMNS = _taylor_columns()


def _erf_table(x):
    shape = x.shape
    x = x.reshape(-1)  # 0-d too: take() of a 0-d index gives a scalar, not an array
    a = np.abs(x)
    k = np.rint(np.fmin(a, _TOP) * _STEP).astype(np.intp)  # fmin: NaN -> the last point
    d = a - k / _STEP
    r = _COLUMNS[0].take(k)
    for col in _COLUMNS[1:]:
        r *= d
        r += col.take(k)
    np.copysign(r, x, out=r)
    big = a > _TOP  # also +-inf, whose d made r NaN
    if big.any():
        r[big] = np.copysign(1.0, x[big])
    return r.reshape(shape)


def erf_np(x):
    """erf of an array (integers as float32), in the array's float dtype."""
    x = np.asarray(x)
    if x.dtype == np.float64:
        return np.asarray(_libm_erf(x), dtype=np.float64)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    return _erf_table(x.astype(np.float64)).astype(dtype)
