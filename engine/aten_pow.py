"""``x ** e`` for a float32 array and a number ``e`` as PyTorch 2.13's CPU kernel rounds it.

ATen's ``pow_tensor_scalar_optimized_kernel`` (the exponents other than ATen's special cases)
runs a vectorised loop over each contiguous run of the input: blocks of two SIMD vectors (32
floats with AVX-512, 16 with AVX2) go through SLEEF's ``powf_u10``, the elements left after the
last full block (and every element of a run with a stride) through ``std::pow(float, double)``.
SLEEF's ``powf_u10`` is a fixed sequence of float32 operations (a double-float ``log``, a
product by ``e``, a double-float ``exp``), here replayed in numpy with the same operations in
the same order (the exponent rounded to float32 first), its fused multiply-adds as
``engine.fused`` computes them. The scalar path is the C library's double ``pow`` of the
exponent as given, rounded once to float32. The replay costs about 150 numpy calls (some
0.2 ms) once a run holds a full block; shorter runs take the scalar path alone.

Which SIMD width ATen picked is read from the CPU's flags as ATen's dispatcher reads them (and
``ATEN_CPU_CAPABILITY`` overrides it the same way). A tensor of more than 32,768 elements is
split into one part per thread, each with its own tail; the parts are PyTorch's default ones
(``MKL_NUM_THREADS``, ``OMP_NUM_THREADS`` or the physical cores), so a PyTorch process given
another thread count (``torch.set_num_threads``) may round the elements at the parts' ends
apart (as may a non-contiguous tensor that large: its rows are not split here). A
non-contiguous input is walked as ATen's TensorIterator walks it: a dense one in memory order,
another row by row along the axes its strides coalesce.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from .fused import fma32

_F = np.float32
_I = np.int32
_GRAIN = 32768  # at::internal::GRAIN_SIZE: larger inputs are split between threads

_R_LN2 = _F(1.442695040888963407359924681001892137426645954152985934135449406931)
_L2U, _L2L = _F(0.693145751953125), _F(1.428606765330187045e-06)
_LN2_HI, _LN2_LO = _F(0.69314718246459960938), _F(-1.904654323148236017e-09)
_C_HI, _C_LO = _F(0.66666662693023681640625), _F(3.69183861259614332084311e-09)
_LOG_T = (_F(0.240320354700088500976562), _F(0.285112679004669189453125),
          _F(0.400007992982864379882812))
_EXP_U = (_F(0.00136324646882712841033936), _F(0.00836596917361021041870117),
          _F(0.0416710823774337768554688), _F(0.166665524244308471679688),
          _F(0.499999850988388061523438))
_ONE, _TWO, _THIRD4 = _F(1), _F(2), _F(1.0 / 0.75)


@functools.lru_cache(maxsize=1)
def block() -> int:
    """Elements per vectorised step of ATen's loop on this CPU: 32 (AVX-512), 16 (AVX2) or 0
    (no SIMD kernel: every element through the scalar pow)."""
    cap = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(next((ln for ln in f if ln.startswith("flags")), "").split())
    except OSError:
        flags = set()
    avx512 = {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags
    avx2 = {"avx2", "fma"} <= flags
    if cap == "default":
        return 0
    if cap == "avx2":
        return 16 if avx2 else 0
    return 32 if avx512 else 16 if avx2 else 0


@functools.lru_cache(maxsize=1)
def threads() -> int:
    """PyTorch's default intra-op thread count on this machine."""
    for var in ("MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        v = os.environ.get(var, "")
        if v.isdigit() and int(v) > 0:
            return int(v)
    cores = set()
    try:
        with open("/proc/cpuinfo") as f:
            phys = ""
            for ln in f:
                if ln.startswith("physical id"):
                    phys = ln.split(":")[1].strip()
                elif ln.startswith("core id"):
                    cores.add((phys, ln.split(":")[1].strip()))
    except OSError:
        pass
    return len(cores) or os.cpu_count() or 1


# ---- double-float arithmetic (SLEEF's df.h, FMA variants) ---------------------------------------
def _fms(a, b, c):  # a * b - c, rounded once
    return fma32(a, b, -c)


def _add2_ff(x, y):
    s = x + y
    v = s - x
    return s, (x - (s - v)) + (y - v)


def _add2_df_f(xh, xl, y):
    s = xh + y
    v = s - xh
    return s, ((xh - (s - v)) + (y - v)) + xl


def _add2_df_df(xh, xl, yh, yl):
    s = xh + yh
    v = s - xh
    return s, ((xh - (s - v)) + (yh - v)) + (xl + yl)


def _add_df_df(xh, xl, yh, yl):
    s = xh + yh
    return s, (((xh - s) + yh) + xl) + yl


def _add_f_df(x, yh, yl):
    s = x + yh
    return s, ((x - s) + yh) + yl


def _mul_df_f(xh, xl, y):
    s = xh * y
    return s, fma32(xl, y, _fms(xh, y, s))


def _mul_df_df(xh, xl, yh, yl):
    s = xh * yh
    return s, fma32(xh, yl, fma32(xl, yh, _fms(xh, yh, s)))


def _squ(xh, xl):
    s = xh * xh
    return s, fma32(xh + xh, xl, _fms(xh, xh, s))


def _div(nh, nl, dh, dl):
    t = _ONE / dh
    s = nh * t
    u = _fms(t, nh, s)
    v = fma32(-dl, t, fma32(-dh, t, _ONE))
    return s, fma32(s, v, fma32(nl, t, u))


# ---- SLEEF's logkf, expkf and powf (AVX-512 flavour: getexp/getmant) ---------------------------
def _logk(d):
    """log(d) as a double-float, d > 0."""
    scaled = d * _THIRD4
    _, e = np.frexp(scaled)
    e = np.where(scaled == np.inf, _F(128), (e - 1).astype(_F))  # getexp(d / 0.75), inf: 128
    mant, _ = np.frexp(d)
    m = np.where(mant >= _F(0.75), mant, mant * _TWO).astype(_F)  # getmant in [0.75, 1.5)
    xh, xl = _div(*_add2_ff(_F(-1), m), *_add2_ff(_ONE, m))
    x2h, x2l = _squ(xh, xl)
    t = fma32(fma32(_LOG_T[0], x2h, _LOG_T[1]), x2h, _LOG_T[2])
    sh, sl = _mul_df_f(_LN2_HI, _LN2_LO, e)
    sh, sl = _add_df_df(sh, sl, xh * _TWO, xl * _TWO)
    ph, pl = _mul_df_df(x2h, x2l, xh, xl)
    qh, ql = _add2_df_df(*_mul_df_f(x2h, x2l, t), _C_HI, _C_LO)
    return _add_df_df(sh, sl, *_mul_df_df(ph, pl, qh, ql))


def _ldexp(x, q):
    """SLEEF's vldexp_vf_vf_vi2: x * 2**q in steps that neither overflow nor flush early."""
    m = q >> 31
    m = (((m + q) >> 6) - m) << 4
    q = q - (m << 2)
    m = m + 0x7F
    m = np.where(m > 0, m, 0)
    m = np.where(m > 0xFF, 0xFF, m).astype(_I)
    u = (m << 23).view(_F)
    x = x * u * u * u * u
    return x * ((q + 0x7F).astype(_I) << 23).view(_F)


def _expk(dh, dl):
    u = (dh + dl) * _R_LN2
    q = np.rint(u).astype(_I)
    qf = q.astype(_F)
    sh, sl = _add2_df_f(dh, dl, qf * -_L2U)
    sh, sl = _add2_df_f(sh, sl, qf * -_L2L)
    s = sh + sl
    sh, sl = s, (sh - s) + sl
    u = _EXP_U[0]
    for c in _EXP_U[1:]:
        u = fma32(u, sh, c)
    th, tl = _add_df_df(sh, sl, *_mul_df_f(*_squ(sh, sl), u))
    th, tl = _add_f_df(_ONE, th, tl)
    r = _ldexp(th + tl, q)
    return np.where(dh < _F(-104), _F(0), r)


_NAN_BITS = np.array(-1, _I).view(_F)  # SLEEF ors a NaN's bits to all ones


def sleef_powf(x: np.ndarray, y: float) -> np.ndarray:
    """SLEEF's ``powf_u10`` of a float32 array by the float32 number ``y``, special cases in
    its order."""
    y = _F(y)
    ay = abs(y)
    yisint = bool(np.trunc(y) == y or ay > _F(1 << 24))
    yisodd = bool(yisint and ay < _F(1 << 24) and int(np.trunc(y)) & 1 == 1)
    with np.errstate(all="ignore"):
        ax = np.abs(x)
        r = _expk(*_mul_df_f(*_logk(ax), y))
        r = np.where(np.isnan(r), _F(np.inf), r)
        r = r * np.where(x > 0, _ONE, (_F(-1) if yisodd else _ONE) if yisint else _F(np.nan))
        if np.isinf(y):
            efx = -(ax - _ONE) if y < 0 else ax - _ONE
            r = np.where(efx < 0, _F(0), np.where(efx == 0, _ONE, _F(np.inf)))
        zero = x == 0
        edge = np.isinf(x) | zero
        if edge.any():
            mag = np.where(zero != bool(np.signbit(y)), _F(0), _F(np.inf))
            flip = np.signbit(x) if yisodd else False
            r = np.where(edge, np.where(flip, -mag, mag), r)
        r = np.where(np.isnan(x) | np.isnan(y), _NAN_BITS, r)
        if y == 0:
            return np.ones_like(x)
        return np.where(x == _ONE, _ONE, r).astype(_F, copy=False)


def libm_pow(x: np.ndarray, y: float) -> np.ndarray:
    """ATen's scalar path, ``std::pow(float, double)``: the C library's double ``pow`` of the
    widened base by the exponent as given, rounded once to float32."""
    with np.errstate(all="ignore"):
        return np.power(x.astype(np.float64), float(y)).astype(_F)


def _part(x, y, step):
    """One thread's part of ATen's loop: SIMD blocks, then the tail through the scalar pow."""
    body = x.size // step * step if step else 0
    if not body:
        return libm_pow(x, y)
    if body == x.size:
        return sleef_powf(x, y)
    return np.concatenate((sleef_powf(x[:body], y), libm_pow(x[body:], y)))


def pow_f32(x: np.ndarray, y: float) -> np.ndarray:
    """``x ** y`` as ATen's float32 kernel computes it (``y`` outside ATen's special cases)."""
    if x.flags.c_contiguous:
        flat = x.reshape(-1)
        n = flat.size
        parts = min(threads(), -(-n // _GRAIN)) if n >= _GRAIN else 1
        if parts <= 1:
            return _part(flat, y, block()).reshape(x.shape)
        size = -(-n // parts)
        return np.concatenate([_part(flat[i:i + size], y, block())
                               for i in range(0, n, size)]).reshape(x.shape)
    # a dense tensor in another memory order: ATen's output keeps that order and walks memory
    order = np.argsort([-abs(st) for st in x.strides], kind="stable")
    xt = x.transpose(order)
    if xt.flags.c_contiguous:
        return pow_f32(xt, y).transpose(np.argsort(order))
    # otherwise a C-ordered output; the inner loop runs along the trailing axes whose input
    # strides coalesce, vectorised when its stride is one element or zero (a broadcast)
    inner, d = x.shape[-1], x.ndim - 2
    while d >= 0 and x.strides[d] == x.strides[d + 1] * x.shape[d + 1]:
        inner *= x.shape[d]
        d -= 1
    step = block()
    if x.strides[-1] not in (0, x.itemsize) or not step or not inner:
        return libm_pow(x, y)
    rows = np.ascontiguousarray(x).reshape(-1, inner)
    body = inner // step * step
    out = np.empty(rows.shape, _F)
    out[:, :body] = sleef_powf(rows[:, :body], y)
    out[:, body:] = libm_pow(rows[:, body:], y)
    return out.reshape(x.shape)
