"""Neural-network op rows: ``softmax``/``log_softmax`` and the activations (their forwards in
``engine.nn.activation_functions``)."""

from __future__ import annotations

import math

from .table import register


# ---- softmax family ---------------------------------------------------------------------------
def _dim(a):
    return None if a is None else (a,)


# a is the softmax dim, None for a 0-d input (the sum over no dims is the element itself)
register("softmax", "SoftmaxBackward0", None,
         lambda m, g, out, s, a, need: (out * (g - m.sum(g * out, _dim(a), True)),),
         save_out=True, doc="exp(a) / sum(exp(a), dim)")
register("log_softmax", "LogSoftmaxBackward0", None,
         lambda m, g, out, s, a, need: (m.minus_exp_times(g, out, m.sum(g, _dim(a), True)),),
         save_out=True,
         doc="a - logsumexp(a, dim)")

# ---- activations (forwards in engine.nn.activation_functions) ---------------------------------
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_KAPPA = 0.044715


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


register("leaky_relu", "LeakyReluBackward0", None, _leaky_relu_vjp, save_inputs=True,
         doc="x > 0 ? x : slope * x")
register("elu", "EluBackward0", None, _elu_vjp, save_inputs=True,
         doc="x > 0 ? x : alpha * (exp(x) - 1)")
# in place (inplace=True) PyTorch saves the result instead: out > 0 exactly where x > 0
register("leaky_relu_", "LeakyReluBackward1", None,
         lambda m, g, out, s, a, need: (m.where(out > 0, g, g * a),), save_out=True,
         doc="leaky_relu in place")
register("elu_", "EluBackward1", None,
         lambda m, g, out, s, a, need: (m.where(out > 0, g, g * (out + a)),), save_out=True,
         doc="elu in place (alpha * exp(x) = out + alpha)")
register("gelu", "GeluBackward0", None, _gelu_vjp, save_inputs=True,
         doc="x * Phi(x) (or its tanh approximation)")
register("silu", "SiluBackward0", None, _silu_vjp, save_inputs=True, doc="x * sigmoid(x)")
register("softplus", "SoftplusBackward0", None, _softplus_vjp, save_inputs=True,
         doc="log(1 + exp(beta * x)) / beta (x past threshold / beta)")
register("erf", "ErfBackward0", None,
         lambda m, g, out, s, a, need: (g * m.exp(-(s[0] * s[0])) * (2.0 / math.sqrt(math.pi)),),
         save_inputs=True, doc="erf(a)")
