"""Fused multiply-add, a * b + c with one rounding, as ATen's kernels compute it.

PyTorch's CPU kernels are built with FMA, and where the compiler fuses (the normal and uniform
transforms, ``add(alpha=)``, ``lerp``, ``addcmul``) the last bit of the result differs from
numpy's separate multiply and add. numpy has no FMA, so: for float32 the product is exact in
float64 and one float64 sum rounded to float32 is the fused result (a double rounding could
differ only on an exact float32 tie; none seen against PyTorch). For float64, Dekker's exact
product and Knuth's exact sum carry the rounding errors (correct except in rare
double-rounding corners).
"""

from __future__ import annotations

import numpy as np

_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's splitter for float64


def fma32(a, b, c) -> np.ndarray:
    return (np.multiply(a, b, dtype=np.float64) + c).astype(np.float32)


def _split(x):
    t = _SPLIT * x
    hi = t - (t - x)
    return hi, x - hi


def fma64(a, b, c) -> np.ndarray:
    a, b, c = np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(c, np.float64)
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    p_err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bv = s - p
    s_err = (p - (s - bv)) + (c - bv)
    return s + (s_err + p_err)


def fma(a, b, c, dtype) -> np.ndarray:
    """a * b + c rounded once to ``dtype`` (float16 and others: separate ops, as ATen's)."""
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return fma32(a, b, c)
    if dtype == np.float64:
        return fma64(a, b, c)
    return (np.asarray(a, dtype) * np.asarray(b, dtype) + np.asarray(c, dtype)).astype(dtype)
