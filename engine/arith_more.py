"""Elementwise arithmetic beyond the core table: ``trunc``, ``frac``, ``fmod``, ``copysign``,
``lerp`` and ``logaddexp``, with PyTorch's node names (a scalar second argument is a node of its
own: ``FmodBackward0`` / ``FmodBackward1``, ``CopysignBackward1`` / ``CopysignBackward0``,
``LerpBackward0`` / ``LerpBackward1``), result dtypes and errors."""

from __future__ import annotations

import builtins

import numpy as np

from ._dtype import _default
from .dispatch import call
from .ops import OPS, register
from .tensor import Tensor, _binary, _promote, _result, _unary, _wrap


# ---- trunc / frac --------------------------------------------------------------------------------
register("trunc", "TruncBackward0", np.trunc, lambda m, g, out, s, a, need: (g * 0.0,),
         doc="trunc(a)", kind="unary", sym=lambda ns, x: ns.trunc(x))
register("frac", "FracBackward0", lambda x: x - np.trunc(x),
         lambda m, g, out, s, a, need: (g,), doc="a - trunc(a)", kind="unary",
         sym=lambda ns, x: x - ns.trunc(x))


def trunc(input):
    if input._data.dtype.kind in "iub":
        return _wrap(input._data.copy())  # integers are already whole: a copy, no node
    return _unary("trunc", input)


def frac(input):
    if input._data.dtype.kind != "f":
        kind = {"i": "Long", "u": "Byte", "b": "Bool"}.get(input._data.dtype.kind, "Long")
        raise NotImplementedError(f'"frac_cpu" not implemented for \'{kind}\'')
    return _unary("frac", input)


# ---- fmod ------------------------------------------------------------------------------------------
def _fmod_np(x, y):
    if np.asarray(x).dtype.kind in "iub" and np.asarray(y).dtype.kind in "iub" \
            and np.any(np.asarray(y) == 0):
        raise RuntimeError("ZeroDivisionError")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.fmod(x, y)


def _fmod_tt_vjp(m, g, out, s, a, need):
    x, y = s
    return (m.sum_to(g, a[0]) if need[0] else None,
            m.sum_to(-g * m.trunc(x / y), a[1]) if need[1] else None)


register("fmod", "FmodBackward0", _fmod_np, lambda m, g, out, s, a, need: (g,),
         doc="fmod(a, c)")
register("fmod_tt", "FmodBackward1", _fmod_np, _fmod_tt_vjp, save_inputs=True, doc="fmod(a, b)")


def fmod(input, other):
    if isinstance(other, Tensor):
        return _binary("fmod_tt", input, other)
    dt = _promote(input, other)
    out = np.asarray(_fmod_np(input._data.astype(dt, copy=False), other)).astype(dt, copy=False)
    return _result(OPS["fmod"], out, (input,), other, input._rg)


# ---- copysign --------------------------------------------------------------------------------------
def _copysign_self(m, g, out, x):
    zero = x == 0
    return g * m.where(zero, 0.0, out / m.where(zero, 1.0, x))


register("copysign", "CopysignBackward0", np.copysign,
         lambda m, g, out, s, a, need: (
             m.sum_to(_copysign_self(m, g, out, s[0]), a[0]) if need[0] else None,
             m.sum_to(g * 0.0, a[1]) if need[1] else None),
         save_inputs=True, save_out=True, doc="|a| sign(b)")
register("copysign_s", "CopysignBackward1", np.copysign,
         lambda m, g, out, s, a, need: (_copysign_self(m, g, out, s[0]),),
         save_inputs=True, save_out=True, doc="|a| sign(c)")


def _float_operands(input, other):
    dt = _promote(input, other)
    return dt if dt.kind == "f" else _default[0].np


def copysign(input, other):
    dt = _float_operands(input, other)
    x = input._data.astype(dt, copy=False)
    if isinstance(other, Tensor):
        y = other._data.astype(dt, copy=False)
        out = np.copysign(x, y)
        return _result(OPS["copysign"], out, (input, other), (x.shape, y.shape))
    out = np.copysign(x, np.asarray(other, dtype=dt))
    return _result(OPS["copysign_s"], out, (input,), float(other), input._rg)


# ---- lerp (rows in engine.ops.arith) -------------------------------------------------------
def _not_float(name, t):
    kind = {"i": "Long", "u": "Byte", "b": "Bool"}.get(t._data.dtype.kind, "Long")
    return NotImplementedError(f'"{name}" not implemented for \'{kind}\'')


def lerp(input, end, weight):
    if input._data.dtype.kind != "f":
        raise _not_float("lerp_kernel_scalar" if not isinstance(weight, Tensor)
                         else "lerp_kernel_tensor", input)
    if input._data.dtype != end._data.dtype:
        raise RuntimeError(f"expected dtype {_c10_name(input)} for `end` but got dtype "
                           f"{_c10_name(end)}")
    x = input._data
    if isinstance(weight, Tensor):
        if weight._data.ndim and weight._data.dtype != x.dtype:
            raise RuntimeError(f"expected dtype {_c10_name(input)} for `weight` but got dtype "
                               f"{_c10_name(weight)}")
        return call(OPS["lerp_t"], (input, end, weight))
    return call(OPS["lerp"], (input, end), builtins.float(weight))


def _c10_name(t):
    """The dtype as ATen's messages spell it (``float``, ``double``)."""
    return {"float32": "float", "float64": "double", "float16": "c10::Half"}.get(
        str(t._data.dtype), str(t._data.dtype))


# ---- logaddexp -------------------------------------------------------------------------------------
def _logaddexp_vjp(m, g, out, s, a, need):
    x, y = s
    return (m.sum_to(g / (m.exp(y - x) + 1.0), a[0]) if need[0] else None,
            m.sum_to(g / (m.exp(x - y) + 1.0), a[1]) if need[1] else None)


register("logaddexp", "LogaddexpBackward0", np.logaddexp, _logaddexp_vjp, save_inputs=True,
         doc="log(exp(a) + exp(b))")


def logaddexp(input, other):
    if input._data.dtype.kind != "f":
        raise _not_float("logaddexp_cpu", input)
    return _binary("logaddexp", input, other)


Tensor.trunc, Tensor.frac, Tensor.fmod, Tensor.copysign = trunc, frac, fmod, copysign
Tensor.lerp, Tensor.logaddexp, Tensor.fix = lerp, logaddexp, trunc
fix = trunc

__all__ = ["copysign", "fix", "fmod", "frac", "lerp", "logaddexp", "trunc"]
