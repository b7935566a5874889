"""Rules that need sympy-only constructs, kept here by their row's key: ``hardtanh`` (a sympy
function whose derivative is 1 strictly inside its bounds and 0 at them, as PyTorch's),
``threshold`` (derivative 0 at the threshold, as PyTorch's) and the
recorded backward nodes of relu, elu, leaky_relu and hardtanh (``create_graph=True``; Heaviside
steps with the engine's value at the kink). The division rows, the p-norm and tanh's and
sigmoid's recorded backward carry their rules in their rows (``engine.ops``). Imported by
``symbolic.rules``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import rule_table as rt
from .rule_table import each as _each
from .rule_table import nice_number

H = sp.Heaviside
trunc_fn = rt.trunc_fn


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


@rt.numpy_twin(lambda x, t, v: np.where(x <= t, v, x))
class _threshold(sp.Function):
    """x > t ? x : v, whose derivative in x is 0 at x = t, as PyTorch's threshold_backward."""

    @classmethod
    def eval(cls, x, t, v):
        if x.is_Number:
            return v if x <= t else x
        return None

    def fdiff(self, argindex=1):
        x, t, _ = self.args
        return H(x - t, 0) if argindex == 1 else sp.Integer(0)


def _threshold_rule(ns, args, attrs, out_shape):
    t, v = attrs
    return _each(ns, args[0], lambda x: _threshold(x, nice_number(t), nice_number(v)),
                 lambda x: np.where(x <= t, v, x))


def _threshold_backward(ns, args, attrs, out_shape):
    g, y = args  # attrs: F.threshold's threshold on its input; None: relu's 0 on its output
    t = 0 if attrs is None else attrs
    return g * _each(ns, y, lambda v: H(v - nice_number(t), 0),
                     lambda v: (v > t).astype(np.float64))


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


for _key, _rule in {
    "hardtanh": _hardtanh_rule, "threshold_backward": _threshold_backward,
    "threshold": _threshold_rule, "threshold_": _threshold_rule,
    "elu_backward": _elu_backward, "leaky_relu_backward": _leaky_backward,
    "hardtanh_backward": _hardtanh_backward,
}.items():
    rt.register(_key, _rule)

