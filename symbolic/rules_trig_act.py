"""Rules for ``engine.arith_more`` (fmod, copysign, logaddexp; lerp's rows carry theirs; trunc
and frac, as tan ... atanh, carry theirs in their ``engine.ops.elementwise`` rows) and ``engine.nn.activation_more`` (celu, selu, hardsigmoid,
hardswish, mish, logsigmoid). Imported by ``symbolic.rules``.

Kinks follow PyTorch: celu and selu take the x <= 0 branch at 0, hardsigmoid passes the grad
strictly inside (-3, 3), hardswish uses x/3 + 1/2 on [-3, 3]; trunc is flat, copysign's grad
is 0 at x = 0 (as ``sign`` is)."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from . import rule_table as rt
from .rule_table import each as _each
from .rule_table import elementwise2, nice_number, sign_fn
from .rule_table import sympy_function as _function
from .rules_arith import trunc_fn
from .rules_nn_extra import elu_fn

H = sp.Heaviside
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _celu(x, alpha):
    return x if x > 0 else alpha * math.expm1(x / alpha)


def _hardsigmoid(x):
    return min(max(x + 3.0, 0.0), 6.0) / 6.0


celu_fn = _function("celu", _celu, [
    lambda x, a: H(x, 0) + sp.exp(x / a) * H(-x, 1),
    lambda x, a: sp.Integer(0),  # alpha is a recorded constant, never a target
], "celu", lambda x, a: np.where(x > 0, x, a * np.expm1(np.minimum(x, 0) / a)))
# PyTorch's backward multiplies by 1/6 rounded to float32, in every dtype: so does the engine
ONE_SIXTH = sp.Float(float(np.float32(1.0 / 6.0)), 17)
hardsigmoid_fn = _function("hardsigmoid", _hardsigmoid, [
    lambda x: H(x + 3, 0) * H(3 - x, 0) * ONE_SIXTH,
], "hardsigmoid", lambda x: np.clip(x + 3.0, 0.0, 6.0) / 6.0)
hardswish_fn = _function("hardswish", lambda x: x * _hardsigmoid(x), [
    lambda x: H(x + 3, 1) * H(3 - x, 1) * (x / 3 + sp.Rational(1, 2)) + H(x - 3, 0),
], "hardswish", lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0)

def _unary(sym, num):
    return lambda ns, args, attrs, out_shape: _each(ns, args[0], sym, num)


def _fmod_scalar(ns, args, attrs, out_shape):
    c = nice_number(attrs)
    return _each(ns, args[0], lambda v: v - c * trunc_fn(v / c), lambda x: np.fmod(x, attrs))


def _fmod_tt(ns, args, attrs, out_shape):
    x, y = args
    if not ns.symbolic:
        return np.fmod(x, y)
    return elementwise2(lambda u, v: u - v * trunc_fn(u / v))(x, y)


def _copysign(ns, args, attrs, out_shape):
    x, y = args
    if not ns.symbolic:
        return np.copysign(x, y)
    return elementwise2(lambda u, v: sp.Abs(u) * sign_fn(v))(x, y)


def _copysign_scalar(ns, args, attrs, out_shape):
    sign = 1 if math.copysign(1.0, attrs) > 0 else -1
    return _each(ns, args[0], lambda v: sign * sp.Abs(v), lambda x: np.copysign(x, attrs))


def _logaddexp(ns, args, attrs, out_shape):
    x, y = args
    if not ns.symbolic:
        return np.logaddexp(x, y)
    return elementwise2(lambda u, v: sp.log(sp.exp(u) + sp.exp(v)))(x, y)


def _selu(ns, args, attrs, out_shape):
    return _each(ns, args[0], lambda v: SELU_SCALE * elu_fn(v, SELU_ALPHA),
                 lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))))


def _celu_rule(ns, args, attrs, out_shape):
    alpha = nice_number(attrs)
    return _each(ns, args[0], lambda v: celu_fn(v, alpha),
                 lambda x: np.where(x > 0, x, attrs * np.expm1(np.minimum(x, 0) / attrs)))


for _key, _rule in {
    "fmod": _fmod_scalar, "fmod_tt": _fmod_tt,
    "copysign": _copysign, "copysign_s": _copysign_scalar,
    "logaddexp": _logaddexp,
    "celu": _celu_rule, "selu": _selu,
    "hardsigmoid": _unary(hardsigmoid_fn, lambda x: np.clip(x + 3.0, 0.0, 6.0) / 6.0),
    "hardswish": _unary(hardswish_fn, lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0),
    "mish": _unary(lambda v: v * sp.tanh(sp.log(1 + sp.exp(v))),
                   lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    "logsigmoid": _unary(lambda v: -sp.log(1 + sp.exp(-v)),
                         lambda x: np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))),
}.items():
    rt.register(_key, _rule)

__all__ = ["celu_fn", "hardsigmoid_fn", "hardswish_fn"]
