"""More activations: ``celu``, ``selu``, ``relu6``, ``hardsigmoid``, ``hardswish``, ``mish``,
``logsigmoid`` (each one op row with PyTorch's node name: ``CeluBackward0``, ``EluBackward0``,
``HardtanhBackward0``, ...), and the compositions ``softsign`` (x / (1 + |x|)) and ``softmin``
(softmax of -x), recorded as the elementary nodes PyTorch records."""

from __future__ import annotations

import numpy as np

from ..elementwise_extra import hardtanh
from ..ops import register
from ..tensor import Tensor
from .activation_functions import _activation
from .softmax import _softmax_dim, softmax

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
ONE_SIXTH = float(np.float32(1.0 / 6.0))  # ATen's hardsigmoid backward: a float constant


def _sigmoid(m, x):
    return m.sigmoid(x)


register("celu", "CeluBackward0", None,
         lambda m, g, out, s, a, need: (m.where(s[0] > 0, g, g * m.exp(s[0] * (1.0 / a))),),
         save_inputs=True, doc="x > 0 ? x : alpha (exp(x / alpha) - 1)")
register("selu", "EluBackward0", None,
         lambda m, g, out, s, a, need: (
             m.where(s[0] > 0, g * SELU_SCALE, g * (SELU_SCALE * SELU_ALPHA) * m.exp(s[0])),),
         save_inputs=True, doc="scale (x > 0 ? x : alpha (exp(x) - 1))")
register("hardsigmoid", "HardsigmoidBackward0", None,
         lambda m, g, out, s, a, need: (
             m.where((s[0] > -3.0) * (s[0] < 3.0), g * ONE_SIXTH, g * 0.0),),
         save_inputs=True, doc="min(max(x + 3, 0), 6) / 6")
register("hardswish", "HardswishBackward0", None,
         lambda m, g, out, s, a, need: (
             m.where(s[0] < -3.0, g * 0.0,
                     m.where(s[0] <= 3.0, g * (s[0] * (1.0 / 3.0) + 0.5), g)),),
         save_inputs=True, doc="x min(max(x + 3, 0), 6) / 6")


def _mish_vjp(m, g, out, s, a, need):
    x = s[0]
    tsp = m.tanh(m.log(m.exp(x) + 1.0))
    return (g * (tsp + x * _sigmoid(m, x) * (1.0 - tsp * tsp)),)


register("mish", "MishBackward0", None, _mish_vjp, save_inputs=True, doc="x tanh(softplus(x))")
register("logsigmoid", "LogSigmoidBackward0", None,
         lambda m, g, out, s, a, need: (g * _sigmoid(m, -s[0]),), save_inputs=True,
         doc="-softplus(-x)")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")

    def fwd(x):
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0) / x.dtype.type(alpha)) * alpha)

    return _activation("celu", input, fwd, float(alpha), inplace)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    def fwd(x):
        dt = x.dtype.type
        return np.where(x > 0, x * dt(SELU_SCALE),
                        np.expm1(np.minimum(x, 0)) * dt(SELU_ALPHA * SELU_SCALE))

    return _activation("selu", input, fwd, None, inplace)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    def fwd(x):
        dt = x.dtype.type
        return np.minimum(np.maximum(x + dt(3), dt(0)), dt(6)) / dt(6)

    return _activation("hardsigmoid", input, fwd, None, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    def fwd(x):
        dt = x.dtype.type
        return x * np.minimum(np.maximum(x + dt(3), dt(0)), dt(6)) / dt(6)

    return _activation("hardswish", input, fwd, None, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    def fwd(x):
        with np.errstate(over="ignore"):  # exp overflows to inf: log1p(inf) = inf, tanh = 1
            return x * np.tanh(np.log1p(np.exp(x)))

    return _activation("mish", input, fwd, None, inplace)


def logsigmoid(input: Tensor) -> Tensor:
    def fwd(x):
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    return _activation("logsigmoid", input, fwd, None)


def softsign(input: Tensor) -> Tensor:
    return input / (input.abs() + 1)


def softmin(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    return softmax(-input, dim, dtype=dtype)
