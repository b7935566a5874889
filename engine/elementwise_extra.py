"""Elementwise ops beyond the core table: ``F.hardtanh`` and the differentiable backward
nodes of ``relu`` and ``elu`` (``ThresholdBackwardBackward0``, ``EluBackwardBackward0``) that
``create_graph=True`` records, so their grads can be differentiated again as PyTorch's can;
likewise leaky_relu's and hardtanh's (``LeakyReluBackwardBackward0``,
``HardtanhBackwardBackward0``)."""

from __future__ import annotations

import numpy as np

from .ops import OPS, register
from .tensor import Tensor, _result


def _hardtanh_vjp(m, g, out, s, a, need):
    return (m.hardtanh_grad(g, s[0], a),)  # 0 at the bounds, as PyTorch


register("hardtanh", "HardtanhBackward0", None, _hardtanh_vjp, save_inputs=True,
         doc="min(max(a, lo), hi)")


# ---- relu's and elu's backward as recorded ops (create_graph=True) ------------------------------
def _threshold_backward_vjp(m, gg, out, s, a, need):
    g, y = s
    return (m.where(y > 0, gg, 0.0) if need[0] else None,
            m.zeros_like(gg) if need[1] else None)  # piecewise constant in the relu output


register("threshold_backward", "ThresholdBackwardBackward0", None, _threshold_backward_vjp,
         save_inputs=True, doc="g * (y > 0)")


def _masked_backward_vjp(mask_of):
    """VJP of a recorded backward ``where(mask(x), g * k_in, g * k_out)``: linear in g, flat
    in x."""

    def vjp(m, gg, out, s, a, need):
        g, x = s
        k_in, k_out = _slopes(a)
        return (m.where(mask_of(x, a), gg * k_in, gg * k_out) if need[0] else None,
                m.zeros_like(gg) if need[1] else None)

    return vjp


def _slopes(a):
    return (1.0, a) if not isinstance(a, tuple) else (1.0, 0.0)


def _leaky_mask(x, a):
    return x > 0


def _hardtanh_mask(x, a):
    return (x > a[0]) * (x < a[1])


register("leaky_relu_backward", "LeakyReluBackwardBackward0", None,
         _masked_backward_vjp(_leaky_mask), save_inputs=True, doc="x > 0 ? g : g * slope")
register("hardtanh_backward", "HardtanhBackwardBackward0", None,
         _masked_backward_vjp(_hardtanh_mask), save_inputs=True, doc="lo < x < hi ? g : 0")


def _elu_backward_vjp(m, gg, out, s, a, need):
    g, x = s
    neg = m.exp(m.where(x > 0, 0.0, x)) * a  # alpha * exp(x) on the x <= 0 side

    def d_x():
        # PyTorch's second derivative: alpha * exp(x) * g strictly left of 0, 0 from 0 on
        return m.where(x < 0, gg * g * neg, 0.0)

    return (m.where(x > 0, gg, gg * neg) if need[0] else None, d_x() if need[1] else None)


register("elu_backward", "EluBackwardBackward0", None, _elu_backward_vjp, save_inputs=True,
         doc="x > 0 ? g : g * alpha * exp(x)")


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``F.hardtanh``: ``clamp(x, min_val, max_val)`` with a zero grad at the bounds."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return input._inplace(lambda a: hardtanh(a, min_val, max_val))
    x = input._data
    if x.dtype.kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    out = np.clip(x, min_val, max_val).astype(x.dtype, copy=False)
    return _result(OPS["hardtanh"], out, (input,), (min_val, max_val), input._rg)

