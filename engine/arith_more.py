"""Elementwise arithmetic beyond the core functions: ``trunc``, ``frac``, ``fmod``, ``copysign``,
``lerp`` and ``logaddexp`` (their rows: ``engine.ops.arith_binary`` and ``engine.ops.arith``), with PyTorch's node names (a scalar second argument is a node of its
own: ``FmodBackward0`` / ``FmodBackward1``, ``CopysignBackward1`` / ``CopysignBackward0``,
``LerpBackward0`` / ``LerpBackward1``), result dtypes and errors."""

from __future__ import annotations

import builtins

import numpy as np

from ._dtype import _default
from .dispatch import call
from .ops import OPS
from .ops.arith_binary import fmod_np
from .tensor import Tensor, _binary, _promote, _result, _unary, _wrap


# ---- trunc / frac --------------------------------------------------------------------------------


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


def fmod(input, other):
    if isinstance(other, Tensor):
        return _binary("fmod_tt", input, other)
    dt = _promote(input, other)
    out = np.asarray(fmod_np(input._data.astype(dt, copy=False), other)).astype(dt, copy=False)
    return _result(OPS["fmod"], out, (input,), other, input._rg)


# ---- copysign --------------------------------------------------------------------------------------


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


def logaddexp(input, other):
    if input._data.dtype.kind != "f":
        raise _not_float("logaddexp_cpu", input)
    return _binary("logaddexp", input, other)


Tensor.trunc, Tensor.frac, Tensor.fmod, Tensor.copysign = trunc, frac, fmod, copysign
Tensor.lerp, Tensor.logaddexp, Tensor.fix = lerp, logaddexp, trunc
fix = trunc

__all__ = ["copysign", "fix", "fmod", "frac", "lerp", "logaddexp", "trunc"]
