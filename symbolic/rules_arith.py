"""Rules for the division ops (``remainder``, ``div`` with a rounding mode, ``floor_divide``),
the p-norm, ``hardtanh`` and the recorded backward nodes of
relu and elu (``create_graph=True``). Imported by ``symbolic.rules``.

Rounding is a flat function (derivative 0, as the engine and PyTorch say); hardtanh passes the
grad strictly inside its bounds only, as PyTorch's does.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import rule_table as rt
from .rule_table import each as _each
from .rule_table import elementwise2, nice_number

H = sp.Heaviside
trunc_fn = rt.trunc_fn


def _floor_div(ns, x, y):
    if not ns.symbolic:
        return np.floor(x / y)
    return elementwise2(lambda a, b: rt.floor_fn(a / b))(x, y)


def _remainder(ns, args, attrs, out_shape):
    x, y = args
    return x - y * _floor_div(ns, x, y)


def _div_mode(ns, args, attrs, out_shape):
    x, y = args
    mode = attrs[0]
    if mode is None:
        return x / y
    if mode == "floor":
        return _floor_div(ns, x, y)
    if not ns.symbolic:
        return np.trunc(x / y)
    return elementwise2(lambda u, v: trunc_fn(u / v))(x, y)


def _not_implemented(ns, args, attrs, out_shape):
    x, y = args
    if attrs[0] == "floor_divide":
        return _floor_div(ns, x, y)
    return _remainder(ns, (y, x), attrs, out_shape)


@rt.numpy_twin(lambda x, lo, hi: np.clip(x, lo, hi))
class _hardtanh(sp.Function):
    """clamp(x, lo, hi) whose derivative is 1 strictly inside (lo, hi) and 0 at the bounds."""

    @classmethod
    def eval(cls, x, lo, hi):
        if x.is_Number:
            return min(max(x, lo), hi)
        return None

    def fdiff(self, argindex=1):
        x, lo, hi = self.args
        return H(x - lo, 0) * H(hi - x, 0) if argindex == 1 else sp.Integer(0)


def _hardtanh_rule(ns, args, attrs, out_shape):
    lo, hi = attrs
    return _each(ns, args[0], lambda v: _hardtanh(v, nice_number(lo), nice_number(hi)),
                 lambda x: np.clip(x, lo, hi))


def _threshold_backward(ns, args, attrs, out_shape):
    g, y = args
    return g * _each(ns, y, lambda v: H(v, 0), lambda v: (v > 0).astype(np.float64))


def _elu_backward(ns, args, attrs, out_shape):
    g, x = args
    alpha = nice_number(attrs)
    return g * _each(ns, x, lambda v: H(v, 0) + alpha * sp.exp(v) * H(-v, 1),
                     lambda v: np.where(v > 0, 1.0, attrs * np.exp(np.minimum(v, 0))))


def _leaky_backward(ns, args, attrs, out_shape):
    g, x = args
    k = nice_number(attrs)
    return g * _each(ns, x, lambda v: k + (1 - k) * H(v, 0), lambda v: np.where(v > 0, 1.0, attrs))


def _hardtanh_backward(ns, args, attrs, out_shape):
    g, x = args
    lo, hi = (nice_number(v) for v in attrs)
    return g * _each(ns, x, lambda v: H(v - lo, 0) * H(hi - v, 0),
                     lambda v: ((v > attrs[0]) & (v < attrs[1])).astype(np.float64))


def _norm_p(ns, args, attrs, out_shape):
    dims, keepdim, p = attrs
    return ns.pow(ns.sum(ns.pow(ns.abs(args[0]), p), dims, keepdim), 1.0 / p)


for _key, _rule in {

    "remainder": _remainder, "remainder_tt": _remainder, "div_mode": _div_mode,
    "not_implemented": _not_implemented, "norm_p": _norm_p,
    "hardtanh": _hardtanh_rule, "threshold_backward": _threshold_backward,
    "elu_backward": _elu_backward, "leaky_relu_backward": _leaky_backward,
    "hardtanh_backward": _hardtanh_backward,
    # tanh's and sigmoid's backward (create_graph=True), y being the activation's output
    "tanh_backward": lambda ns, args, attrs, out_shape:
        args[0] * (ns.scalar(1) - args[1] * args[1]),
    "sigmoid_backward": lambda ns, args, attrs, out_shape:
        args[0] * args[1] * (ns.scalar(1) - args[1]),
}.items():
    rt.register(_key, _rule)

