"""Rules for the tutorial-MLP ops: activations (``leaky_relu``, ``elu``, ``gelu``, ``silu``,
``softplus``, ``erf``) and ordering/masking (``sort``, ``topk``, ``cumsum``, ``flip``,
``masked_fill``, ``tril``, ``triu``). Imported by ``symbolic.rules``.

Kinks follow the engine (PyTorch): ``leaky_relu'(0) = slope`` and ``elu'(0) = alpha`` (both take
the x <= 0 branch), softplus is linear strictly past its threshold. The kinked activations are
sympy functions with those derivatives, as ``relu`` is, so the closed form agrees at a kink too.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from engine.ns import erf_np

from . import rule_table as rt
from .rule_table import each as _each
from .rule_table import nice_number
from .rule_table import sympy_function as _function


def _leaky(x, k):
    return x if x > 0 else k * x


def _elu(x, alpha):
    return x if x > 0 else alpha * math.expm1(x)


def _softplus(x, beta, threshold):
    return x if beta * x > threshold else math.log1p(math.exp(beta * x)) / beta


def _softplus_grad(x, beta, threshold):
    return 1.0 if beta * x > threshold else 0.5 * (1.0 + math.tanh(0.5 * beta * x))


H = sp.Heaviside
erf_fn = _function("erf", math.erf, [lambda x: 2 / sp.sqrt(sp.pi) * sp.exp(-x**2)], "erf",
                   erf_np)
leaky_relu_fn = _function("leaky_relu", _leaky, [
    lambda x, k: k + (1 - k) * H(x, 0),
    lambda x, k: x * H(-x, 1),
], "leaky\\_relu", lambda x, k: np.where(x > 0, x, k * x))
elu_fn = _function("elu", _elu, [
    lambda x, a: H(x, 0) + a * sp.exp(x) * H(-x, 1),
    lambda x, a: (sp.exp(x) - 1) * H(-x, 1),
], "elu", lambda x, a: np.where(x > 0, x, a * np.expm1(np.minimum(x, 0))))
softplus_grad_fn = _function("softplus_grad", _softplus_grad, [
    lambda x, b, t: b * softplus_grad_fn(x, b, t) * (1 - softplus_grad_fn(x, b, t)),
    lambda x, b, t: sp.Integer(0),
    lambda x, b, t: sp.Integer(0),
], "softplus'", np.vectorize(_softplus_grad))
softplus_fn = _function("softplus", _softplus, [
    softplus_grad_fn,
    lambda x, b, t: sp.Integer(0),  # beta and threshold are recorded constants, never targets
    lambda x, b, t: sp.Integer(0),
], "softplus", np.vectorize(_softplus))

def _leaky_rule(ns, args, attrs, out_shape):
    k = nice_number(attrs)
    return _each(ns, args[0], lambda v: leaky_relu_fn(v, k),
                 lambda x: np.where(x > 0, x, x * attrs))


def _elu_rule(ns, args, attrs, out_shape):
    alpha = nice_number(attrs)
    return _each(ns, args[0], lambda v: elu_fn(v, alpha),
                 lambda x: np.where(x > 0, x, attrs * np.expm1(np.minimum(x, 0))))


_KAPPA = sp.Float("0.044715", 15)


def _gelu_sym(approximate):
    if approximate == "tanh":
        c = sp.sqrt(2 / sp.pi)
        return lambda v: v / 2 * (1 + sp.tanh(c * (v + _KAPPA * v**3)))
    return lambda v: v / 2 * (1 + erf_fn(v / sp.sqrt(2)))


def _gelu_num(approximate):
    if approximate == "tanh":
        c = math.sqrt(2 / math.pi)
        return lambda x: 0.5 * x * (1 + np.tanh(c * (x + 0.044715 * x**3)))
    return lambda x: 0.5 * x * (1 + erf_np(x * math.sqrt(0.5)))


def _gelu_rule(ns, args, attrs, out_shape):
    return _each(ns, args[0], _gelu_sym(attrs), _gelu_num(attrs))


def _silu_rule(ns, args, attrs, out_shape):
    return _each(ns, args[0], lambda v: v / (1 + sp.exp(-v)),
                 lambda x: x * 0.5 * (1 + np.tanh(0.5 * x)))


def _softplus_rule(ns, args, attrs, out_shape):
    beta, threshold = attrs
    b, t = nice_number(beta), nice_number(threshold)
    return _each(ns, args[0], lambda v: softplus_fn(v, b, t),
                 lambda x: np.vectorize(_softplus, otypes=[float])(x, beta, threshold))


def _erf_rule(ns, args, attrs, out_shape):
    return _each(ns, args[0], erf_fn, erf_np)


for _key, _rule in {
    "leaky_relu": _leaky_rule, "elu": _elu_rule, "leaky_relu_": _leaky_rule, "elu_": _elu_rule,
    "gelu": _gelu_rule, "silu": _silu_rule,
    "softplus": _softplus_rule, "erf": _erf_rule,
}.items():
    rt.register(_key, _rule)
