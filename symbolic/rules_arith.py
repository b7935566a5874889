"""Rules for the division ops (``remainder``, ``div`` with a rounding mode, ``floor_divide``),
the p-norm, ``sinh``/``cosh``/``atan``/``rsqrt``, ``hardtanh`` and the recorded backward nodes of
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
trunc_fn = rt.flat_function("trunc", np.trunc)


def _floor_div(m, x, y):
    if not m.symbolic:
        return np.floor(x / y)
    return elementwise2(lambda a, b: rt.floor_fn(a / b))(x, y)


def _remainder(m, a, at, s):
    x, y = a
    return x - y * _floor_div(m, x, y)


def _div_mode(m, a, at, s):
    x, y = a
    mode = at[0]
    if mode is None:
        return x / y
    if mode == "floor":
        return _floor_div(m, x, y)
    if not m.symbolic:
        return np.trunc(x / y)
    return elementwise2(lambda u, v: trunc_fn(u / v))(x, y)


def _not_implemented(m, a, at, s):
    x, y = a
    return _floor_div(m, x, y) if at[0] == "floor_divide" else _remainder(m, (y, x), at, s)


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


def _hardtanh_rule(m, a, at, s):
    lo, hi = at
    return _each(m, a[0], lambda v: _hardtanh(v, nice_number(lo), nice_number(hi)),
                 lambda x: np.clip(x, lo, hi))


def _threshold_backward(m, a, at, s):
    g, y = a
    return g * _each(m, y, lambda v: H(v, 0), lambda v: (v > 0).astype(np.float64))


def _elu_backward(m, a, at, s):
    g, x = a
    alpha = nice_number(at)
    return g * _each(m, x, lambda v: H(v, 0) + alpha * sp.exp(v) * H(-v, 1),
                     lambda v: np.where(v > 0, 1.0, at * np.exp(np.minimum(v, 0))))


def _leaky_backward(m, a, at, s):
    g, x = a
    k = nice_number(at)
    return g * _each(m, x, lambda v: k + (1 - k) * H(v, 0), lambda v: np.where(v > 0, 1.0, at))


def _hardtanh_backward(m, a, at, s):
    g, x = a
    lo, hi = (nice_number(v) for v in at)
    return g * _each(m, x, lambda v: H(v - lo, 0) * H(hi - v, 0),
                     lambda v: ((v > at[0]) & (v < at[1])).astype(np.float64))


def _norm_p(m, a, at, s):
    dims, keepdim, p = at
    return m.pow(m.sum(m.pow(m.abs(a[0]), p), dims, keepdim), 1.0 / p)


for _key, _rule in {

    "remainder": _remainder, "remainder_tt": _remainder, "div_mode": _div_mode,
    "not_implemented": _not_implemented, "norm_p": _norm_p,
    "sinh": lambda m, a, at, s: _each(m, a[0], sp.sinh, np.sinh),
    "cosh": lambda m, a, at, s: _each(m, a[0], sp.cosh, np.cosh),
    "atan": lambda m, a, at, s: _each(m, a[0], sp.atan, np.arctan),
    "rsqrt": lambda m, a, at, s: _each(m, a[0], lambda v: 1 / sp.sqrt(v),
                                       lambda x: 1.0 / np.sqrt(x)),
    "hardtanh": _hardtanh_rule, "threshold_backward": _threshold_backward,
    "elu_backward": _elu_backward, "leaky_relu_backward": _leaky_backward,
    "hardtanh_backward": _hardtanh_backward,
}.items():
    rt.register(_key, _rule)

rt.register_numpy(trunc_fn, np.trunc)
rt.register_numpy(_hardtanh, lambda x, lo, hi: np.clip(x, lo, hi))
