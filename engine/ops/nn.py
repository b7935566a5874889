"""Neural-network activation rows: ``softmax``/``log_softmax``, ``erf`` and the activations of
``torch.nn.functional`` (leaky_relu ... logsigmoid). Each row's forward takes the input array
(float: the public function raised PyTorch's error for any other dtype) and the op's own
arguments, and returns ``(out, attrs)``; ``erf``'s is elementwise (the array alone)."""

from __future__ import annotations

import math

import numpy as np

from ..erf_numpy import erf_np
from ..ns import reduce_rows
from .table import register


# ---- softmax family ---------------------------------------------------------------------------
def _dim(a):
    return None if a is None else (a,)


def _softmax_fwd(x, dim):
    # a 0-d input is softmaxed as one element; its node's attrs are None (no dim to sum over)
    data = x if x.ndim else x.reshape(1)
    if not data.size:  # nothing to normalise (numpy's max of nothing has no identity)
        return data.copy(), dim
    z = data - reduce_rows(np.maximum, data, dim)
    e = np.exp(z)
    return (e / reduce_rows(np.add, e, dim)).reshape(x.shape), dim if x.ndim else None


def _log_softmax_fwd(x, dim):
    data = x if x.ndim else x.reshape(1)
    if not data.size:
        return data.copy(), dim
    z = data - reduce_rows(np.maximum, data, dim)
    lse = reduce_rows(np.add, np.exp(z), dim)
    np.log(lse, out=lse)
    z -= lse  # z is ours: no third temporary
    return z.reshape(x.shape), dim if x.ndim else None


def softmax_sym(ns, x, d):
    """softmax of ``x`` over dim ``d`` on a symbolic namespace (shifted by the max in float64)."""
    if not ns.symbolic:
        e = np.exp(x - np.max(x, axis=d, keepdims=True))
        return e / np.sum(e, axis=d, keepdims=True)
    e = ns.exp(x)
    return e / ns.sum(e, (d,), True)


def _log_softmax_sym(ns, x, d):
    if not ns.symbolic:
        z = x - np.max(x, axis=d, keepdims=True)
        return z - np.log(np.sum(np.exp(z), axis=d, keepdims=True))
    return x - ns.log(ns.sum(ns.exp(x), (d,), True))


def _over_dim(fn):
    def sym(ns, args, attrs, out_shape):
        x = args[0]
        if attrs is None:  # 0-d input: over a single element
            return fn(ns, x.reshape(1), 0).reshape(())
        return fn(ns, x, attrs)

    return sym


# a is the softmax dim, None for a 0-d input (the sum over no dims is the element itself)
register("softmax", "SoftmaxBackward0", _softmax_fwd,
         lambda m, g, out, s, a, need: (out * (g - m.sum(g * out, _dim(a), True)),),
         save_out=True, doc="exp(a) / sum(exp(a), dim)", sym=_over_dim(softmax_sym))
register("log_softmax", "LogSoftmaxBackward0", _log_softmax_fwd,
         lambda m, g, out, s, a, need: (m.minus_exp_times(g, out, m.sum(g, _dim(a), True)),),
         save_out=True, doc="a - logsumexp(a, dim)", sym=_over_dim(_log_softmax_sym))

# ---- activations ------------------------------------------------------------------------------
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_KAPPA = 0.044715
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
ONE_SIXTH = float(np.float32(1.0 / 6.0))  # ATen's hardsigmoid backward: a float constant


def _leaky_relu_fwd(x, negative_slope=0.01):
    return np.where(x > 0, x, x * negative_slope), negative_slope


def _threshold_fwd(x, threshold, value):
    # x <= threshold takes value (nan stays: it compares false), in x's dtype
    return np.where(x <= threshold, value, x).astype(x.dtype, copy=False), (threshold, value)


def _elu_fwd(x, alpha=1.0):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)) * alpha), alpha


def _gelu_fwd(x, approximate="none"):
    # ATen's order of operations in the input's dtype: float32 1 + erf(x / sqrt 2) cancels for
    # x << 0, and PyTorch prints the cancelled digits
    dt = x.dtype.type
    if approximate == "tanh":
        inner = (x + x * x * x * dt(_GELU_KAPPA)) * dt(_SQRT_2_OVER_PI)
        return dt(0.5) * x * (dt(1.0) + np.tanh(inner)), approximate
    return x * dt(0.5) * (dt(1.0) + erf_np(x * dt(math.sqrt(0.5)))), approximate


def _silu_fwd(x):
    with np.errstate(over="ignore"):  # exp(-x) = inf for very negative x gives -0, rightly
        return x / (1.0 + np.exp(-x)), None


def _softplus_fwd(x, beta=1.0, threshold=20.0):
    bx = x * beta
    with np.errstate(over="ignore"):  # overflow only where the threshold branch is taken
        return np.where(bx > threshold, x, np.log1p(np.exp(bx)) / beta), (beta, threshold)


def _celu_fwd(x, alpha=1.0):
    alpha = float(alpha)
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0) / x.dtype.type(alpha)) * alpha), alpha


def _selu_fwd(x):
    dt = x.dtype.type
    return np.where(x > 0, x * dt(SELU_SCALE),
                    np.expm1(np.minimum(x, 0)) * dt(SELU_ALPHA * SELU_SCALE)), None


def _hardsigmoid_fwd(x):
    dt = x.dtype.type
    return np.minimum(np.maximum(x + dt(3), dt(0)), dt(6)) / dt(6), None


def _hardswish_fwd(x):
    dt = x.dtype.type
    return x * np.minimum(np.maximum(x + dt(3), dt(0)), dt(6)) / dt(6), None


def _mish_fwd(x):
    with np.errstate(over="ignore"):  # exp overflows to inf: log1p(inf) = inf, tanh = 1
        return x * np.tanh(np.log1p(np.exp(x))), None


def _logsigmoid_fwd(x):
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))), None


def _leaky_relu_vjp(m, g, out, s, a, need):
    # PyTorch's convention: the slope applies at 0 too (x > 0 ? g : g * slope)
    return (m.leaky_grad(g, s[0], a),)


def _elu_vjp(m, g, out, s, a, need):
    # exp of the x <= 0 side only: exp(large x) would overflow (and warn) for a discarded value
    return (m.elu_grad(g, s[0], a),)


def _gelu_vjp(m, g, out, s, a, need):
    x = s[0]
    if a == "tanh":
        x_sq = x * x
        t = m.tanh((x + x_sq * x * _GELU_KAPPA) * _SQRT_2_OVER_PI)
        right = x * 0.5 * (1.0 - t * t) * _SQRT_2_OVER_PI * (x_sq * (3.0 * _GELU_KAPPA) + 1.0)
        return (g * ((t + 1.0) * 0.5 + right),)
    cdf = (m.erf(x * math.sqrt(0.5)) + 1.0) * 0.5
    pdf = m.exp(x * x * -0.5) * (1.0 / math.sqrt(2.0 * math.pi))
    return (g * (cdf + x * pdf),)


def _silu_vjp(m, g, out, s, a, need):
    x = s[0]
    sig = m.sigmoid(x)
    return (g * sig * (x * (1.0 - sig) + 1.0),)


def _softplus_vjp(m, g, out, s, a, need):
    beta, threshold = a
    bx = s[0] * beta
    linear = bx > threshold
    # ATen's z / (z + 1), z = exp(beta x), on the log1p(exp(beta x)) / beta side only
    z = m.exp(m.where(linear, 0.0, bx))
    return (m.where(linear, g, g * z / (z + 1.0)),)


def _mish_vjp(m, g, out, s, a, need):
    x = s[0]
    tsp = m.tanh(m.log(m.exp(x) + 1.0))
    return (g * (tsp + x * m.sigmoid(x) * (1.0 - tsp * tsp)),)


register("leaky_relu", "LeakyReluBackward0", _leaky_relu_fwd, _leaky_relu_vjp, save_inputs=True,
         doc="x > 0 ? x : slope * x")
register("threshold", "ThresholdBackward0", _threshold_fwd,
         lambda m, g, out, s, a, need: (m.threshold_grad(g, s[0], a[0]),), save_inputs=True,
         doc="x > threshold ? x : value")
# in place PyTorch keeps the input as it was (a copy), not the result: value may exceed threshold
register("threshold_", "ThresholdBackward1", _threshold_fwd,
         lambda m, g, out, s, a, need: (m.threshold_grad(g, s[0], a[0]),), save_inputs=True,
         doc="threshold in place")
register("elu", "EluBackward0", _elu_fwd, _elu_vjp, save_inputs=True,
         doc="x > 0 ? x : alpha * (exp(x) - 1)")
# in place (inplace=True) PyTorch saves the result instead: out > 0 exactly where x > 0
register("leaky_relu_", "LeakyReluBackward1", _leaky_relu_fwd,
         lambda m, g, out, s, a, need: (m.where(out > 0, g, g * a),), save_out=True,
         doc="leaky_relu in place")
register("elu_", "EluBackward1", _elu_fwd,
         lambda m, g, out, s, a, need: (m.where(out > 0, g, g * (out + a)),), save_out=True,
         doc="elu in place (alpha * exp(x) = out + alpha)")
register("gelu", "GeluBackward0", _gelu_fwd, _gelu_vjp, save_inputs=True,
         doc="x * Phi(x) (or its tanh approximation)")
register("silu", "SiluBackward0", _silu_fwd, _silu_vjp, save_inputs=True, doc="x * sigmoid(x)")
register("softplus", "SoftplusBackward0", _softplus_fwd, _softplus_vjp, save_inputs=True,
         doc="log(1 + exp(beta * x)) / beta (x past threshold / beta)")
register("erf", "ErfBackward0", erf_np,
         lambda m, g, out, s, a, need: (g * m.exp(-(s[0] * s[0])) * (2.0 / math.sqrt(math.pi)),),
         save_inputs=True, doc="erf(a)")
register("celu", "CeluBackward0", _celu_fwd,
         lambda m, g, out, s, a, need: (m.where(s[0] > 0, g, g * m.exp(s[0] * (1.0 / a))),),
         save_inputs=True, doc="x > 0 ? x : alpha (exp(x / alpha) - 1)")
register("selu", "EluBackward0", _selu_fwd,
         lambda m, g, out, s, a, need: (
             m.where(s[0] > 0, g * SELU_SCALE, g * (SELU_SCALE * SELU_ALPHA) * m.exp(s[0])),),
         save_inputs=True, doc="scale (x > 0 ? x : alpha (exp(x) - 1))")
register("hardsigmoid", "HardsigmoidBackward0", _hardsigmoid_fwd,
         lambda m, g, out, s, a, need: (
             m.where((s[0] > -3.0) * (s[0] < 3.0), g * ONE_SIXTH, g * 0.0),),
         save_inputs=True, doc="min(max(x + 3, 0), 6) / 6")
register("hardswish", "HardswishBackward0", _hardswish_fwd,
         lambda m, g, out, s, a, need: (
             m.where(s[0] < -3.0, g * 0.0,
                     m.where(s[0] <= 3.0, g * (s[0] * (1.0 / 3.0) + 0.5), g)),),
         save_inputs=True, doc="x min(max(x + 3, 0), 6) / 6")
register("mish", "MishBackward0", _mish_fwd, _mish_vjp, save_inputs=True,
         doc="x tanh(softplus(x))")
register("logsigmoid", "LogSigmoidBackward0", _logsigmoid_fwd,
         lambda m, g, out, s, a, need: (g * m.sigmoid(-s[0]),), save_inputs=True,
         doc="-softplus(-x)")
