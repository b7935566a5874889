"""PyTorch's float32 normal kernel for blocks of 16, reproduced bit for bit.

For float32 tensors of 16 or more elements ATen's ``normal_fill_16_AVX2`` does Box-Muller with
the cephes-derived polynomial ``log`` and ``sincos`` of ``avx_mathfun.h``, not with libm. Those
are float32 operation sequences, so numpy replays them exactly, with one subtlety: the AVX2
kernel is compiled with FMA and GCC contracts multiply-add pairs into fused ones. Which pairs it
fused was settled against PyTorch 2.13's output (0 differing bits over 19,200 normals); the
``_fma`` calls mark them.
"""

from __future__ import annotations

import numpy as np

from .fused import fma32 as _fma

_F = np.float32
_I = np.int32

_LOG_POLY = tuple(_F(p) for p in (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1))
_LOG_Q1, _LOG_Q2 = _F(-2.12194440e-4), _F(0.693359375)
_SQRT_HALF = _F(0.707106781186547524)
_MIN_NORMAL = np.array(0x00800000, _I).view(_F)
_EXP_MASK, _HALF_BITS = _I(0x7F800000), np.array(0.5, _F).view(_I)

_PI_PARTS = (_F(-0.78515625), _F(-2.4187564849853515625e-4), _F(-3.77489497744594108e-8))
_SIN_POLY = (_F(-1.9515295891e-4), _F(8.3321608736e-3), _F(-1.6666654611e-1))
_COS_POLY = (_F(2.443315711809948e-5), _F(-1.388731625493765e-3), _F(4.166664568298827e-2))
_FOUR_OVER_PI = _F(1.27323954473516)
_SIGN = _I(-0x80000000)
_TWO_PI = _F(2.0 * np.pi)


def _log(x: np.ndarray) -> np.ndarray:
    """avx_mathfun's log256_ps on float32 (NaN for x <= 0, as there)."""
    invalid = x <= 0
    x = np.maximum(x, _MIN_NORMAL)
    bits = x.view(_I)
    e = ((bits >> 23) & 0x1FF).astype(_F) - _F(126)  # exponent + 1, as the kernel counts it
    x = ((bits & ~_EXP_MASK) | _HALF_BITS).view(_F)  # mantissa in [0.5, 1)
    small = x < _SQRT_HALF
    e = e - small.astype(_F)
    x = (x - _F(1)) + np.where(small, x, _F(0))
    z = x * x
    y = np.full_like(x, _LOG_POLY[0])
    for p in _LOG_POLY[1:]:
        y = _fma(y, x, p)
    y = y * x
    y = _fma(y, z, e * _LOG_Q1)
    y = _fma(-z, _F(0.5), y)
    x = _fma(e, _LOG_Q2, x + y)
    x[invalid] = np.nan
    return x


def _sincos(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """avx_mathfun's sincos256_ps on float32."""
    sign_sin = x.view(_I) & _SIGN
    x = np.abs(x)
    j = (x * _FOUR_OVER_PI).astype(_I)  # truncation, as cvttps
    j = (j + 1) & ~_I(1)
    y = j.astype(_F)
    sign_sin = sign_sin ^ ((j & 4) << 29)
    sign_cos = (~(j - 2) & 4) << 29
    use_sin_poly = (j & 2) == 0
    for part in _PI_PARTS:  # x - y * pi/4 in three pieces, for precision
        x = _fma(y, part, x)
    z = x * x
    c = _fma(np.full_like(x, _COS_POLY[0]), z, _COS_POLY[1])
    c = _fma(c, z, _COS_POLY[2]) * z
    c = _fma(c, z, -(z * _F(0.5))) + _F(1)
    s = _fma(np.full_like(x, _SIN_POLY[0]), z, _SIN_POLY[1])
    s = _fma(s, z, _SIN_POLY[2]) * z
    s = _fma(s, x, x)
    sin = np.where(use_sin_poly, s, c)
    cos = np.where(use_sin_poly, c, s)
    return (sin.view(_I) ^ sign_sin).view(_F), (cos.view(_I) ^ sign_cos).view(_F)


def box_muller_16(blocks: np.ndarray, mean: float, std: float) -> None:
    """In place on float32 rows of 16 uniforms: pairs (j, j + 8) become two normals."""
    radius = np.sqrt(_F(-2) * _log(_F(1) - blocks[:, :8]))
    sin, cos = _sincos(_TWO_PI * blocks[:, 8:])
    blocks[:, :8] = _fma(radius * cos, _F(std), _F(mean))
    blocks[:, 8:] = _fma(radius * sin, _F(std), _F(mean))
