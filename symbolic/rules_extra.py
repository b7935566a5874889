"""Rules for the activation, ordering and masking ops (engine.nn.activation_functions,
engine.ordering); ``rules`` merges them into ``RULES``. Same contract as there:
``rule(m, args, attrs, out_shape)`` in namespace ``SYM`` or ``NUM``.

Activations with a kink are sympy functions, not Piecewise: a Piecewise of Piecewise (a layer of
them feeding the next) multiplies out into expressions sympy needs minutes for, while a function
stays one node whose derivative is one Heaviside step. The step is the engine's: its backward
takes the ``x > cut`` branch only strictly above the cut (``Heaviside(x - cut, 0)``).
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from .rules import _elementwise, _obj, nice_number

_erf = np.frompyfunc(math.erf, 1, 1)


def _erf_num(x):
    return np.asarray(_erf(np.asarray(x, np.float64)), np.float64)


class _Kinked(sp.Function):
    """``f(x, *params)``: ``above`` where ``cut(x) > 0``, else ``below``."""

    @classmethod
    def eval(cls, x, *params):
        if x.is_Number and all(p.is_Number for p in params):
            return nice_number(cls.numeric(float(x), *map(float, params)))
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        x, *params = self.args
        step = sp.Heaviside(self.cut(x, *params), 0)
        return step * self.d_above(x, *params) + (1 - step) * self.d_below(x, *params)


class leaky_relu(_Kinked):  # reads as leaky_relu(x, slope) in closed forms
    cut = staticmethod(lambda x, s: x)
    d_above = staticmethod(lambda x, s: sp.Integer(1))
    d_below = staticmethod(lambda x, s: s)
    numeric = staticmethod(lambda x, s: x if x > 0 else s * x)


class elu(_Kinked):
    cut = staticmethod(lambda x, a: x)
    d_above = staticmethod(lambda x, a: sp.Integer(1))
    d_below = staticmethod(lambda x, a: a * sp.exp(x))
    numeric = staticmethod(lambda x, a: x if x > 0 else a * math.expm1(x))


class softplus(_Kinked):  # softplus(x, beta, threshold)
    cut = staticmethod(lambda x, b, t: b * x - t)
    d_above = staticmethod(lambda x, b, t: sp.Integer(1))
    d_below = staticmethod(lambda x, b, t: 1 / (1 + sp.exp(-b * x)))
    numeric = staticmethod(lambda x, b, t: x if b * x > t else math.log1p(math.exp(b * x)) / b)


def _kinked(fn, num):
    def rule(m, a, at, s):
        params = at if isinstance(at, tuple) else (at,)
        if not m.symbolic:
            return num(a[0], *params)
        ps = [nice_number(p) for p in params]
        return _elementwise(lambda v: fn(v, *ps))(a[0])

    return rule


def _gelu(m, a, at, s):
    x = a[0]
    if at == "tanh":
        k = math.sqrt(2.0 / math.pi)
        if not m.symbolic:
            return 0.5 * x * (1.0 + np.tanh(k * (x + 0.044715 * x**3)))
        c, kk = nice_number(0.044715), sp.sqrt(2 / sp.pi)
        return _elementwise(lambda v: v * (1 + sp.tanh(kk * (v + c * v**3))) / 2)(x)
    if not m.symbolic:
        return 0.5 * x * (1.0 + _erf_num(x / math.sqrt(2.0)))
    return _elementwise(lambda v: v * (1 + sp.erf(v / sp.sqrt(2))) / 2)(x)


def _silu(m, a, at, s):
    if not m.symbolic:
        return a[0] / (1.0 + np.exp(-a[0]))
    return _elementwise(lambda v: v / (1 + sp.exp(-v)))(a[0])


def _erf_rule(m, a, at, s):
    return _erf_num(a[0]) if not m.symbolic else _elementwise(sp.erf)(a[0])


def _cumsum(m, a, at, s):
    x = a[0]
    if at is None:  # 0-d: the identity
        return x
    if not m.symbolic:
        return np.cumsum(x, axis=at)
    return np.cumsum(_obj(x), axis=at)


def _keep(m, a, at, s):
    keep, _shape, value = at
    x = np.broadcast_to(a[0], keep.shape)
    if not m.symbolic:
        return np.where(keep, x, float(value))
    return m.where(keep, x, _obj(nice_number(value)))


EXTRA_RULES = {
    "leaky_relu": _kinked(leaky_relu, lambda x, s: np.where(x > 0, x, s * x)),
    "elu": _kinked(elu, lambda x, al: np.where(x > 0, x, al * np.expm1(np.minimum(x, 0)))),
    "softplus": _kinked(softplus, lambda x, b, t: np.where(
        b * x > t, x, np.log1p(np.exp(np.minimum(b * x, t))) / b)),
    "gelu": _gelu,
    "silu": _silu,
    "erf": _erf_rule,
    "sort": lambda m, a, at, s: a[0][at[1]],
    "topk": lambda m, a, at, s: a[0][at[1]],
    "cumsum": _cumsum,
    "flip": lambda m, a, at, s: np.flip(a[0], at) if at else a[0],
    "masked_fill": _keep,
    "tril": _keep,
    "triu": _keep,
}

# for sp.lambdify (the desktop's function plot)
EXTRA_NUMPY_FUNCS = {
    "leaky_relu": lambda x, s: np.where(x > 0, x, s * x),
    "elu": lambda x, a: np.where(x > 0, x, a * np.expm1(np.minimum(x, 0))),
    "softplus": lambda x, b, t: np.where(b * x > t, x, np.log1p(np.exp(np.minimum(b * x, t))) / b),
    "erf": _erf_num,
}
