"""``hardtanh``'s row, and the backward formulas of the activations as op rows of their own:
under ``create_graph=True`` the backward of ``tanh``, ``sigmoid``, ``relu``, ``leaky_relu``,
``hardtanh`` and ``elu`` is one recorded node each (``TanhBackwardBackward0``,
``ThresholdBackwardBackward0``, ... as PyTorch records them) rather than several generic nodes,
so a Hessian-vector product through them walks one node per activation and can differentiate
them again. A backward row's forward is the plain backward's numpy expression (``ns.NP``);
its inputs are the incoming grad and the saved tensor (``tensor_ns.T`` records it)."""

from __future__ import annotations

import numpy as np

from ..ns import (
    elu_grad_np,
    hardtanh_grad_np,
    leaky_grad_np,
    sigmoid_grad_np,
    tanh_grad_np,
    threshold_grad_np,
)
from .elementwise import zero_ties
from .table import register


# ---- hardtanh ----------------------------------------------------------------------------------
def hardtanh_fwd(x, lo, hi):
    """``x`` (not bool) clamped to ``[lo, hi]``, ``lo <= hi`` checked."""
    return zero_ties(np.clip(x, lo, hi).astype(x.dtype, copy=False), x, lo, hi), (lo, hi)


def _hardtanh_vjp(m, g, out, s, a, need):
    return (m.hardtanh_grad(g, s[0], a),)  # 0 at the bounds, as PyTorch


register("hardtanh", "HardtanhBackward0", hardtanh_fwd, _hardtanh_vjp, save_inputs=True,
         doc="min(max(a, lo), hi)")


# ---- the recorded backward of tanh and sigmoid -------------------------------------------------
def _tanh_backward_vjp(m, gg, out, s, a, need):
    g, y = s
    # d/dg is tanh's own backward again; d/dy of g * (1 - y²) is -2 y g
    return (m.tanh_grad(gg, y) if need[0] else None,
            gg * (-2.0 * y * g) if need[1] else None)


def _sigmoid_backward_vjp(m, gg, out, s, a, need):
    g, y = s
    # d/dy of g * y * (1 - y) is g * (1 - 2y)
    return (m.sigmoid_grad(gg, y) if need[0] else None,
            gg * g * (-2.0 * y + 1.0) if need[1] else None)


def _grad_fwd(formula):
    """The row forward ``fwd(g, saved, *params) -> (formula(g, saved, *params), attrs)``;
    attrs: the one parameter (slope, bounds, alpha) or None."""
    def fwd(g, saved, *params):
        out = formula(g, saved, *params)
        return (out if type(out) is np.ndarray else np.asarray(out)), (
            params[0] if params else None)

    fwd.__qualname__ = fwd.__name__ = formula.__name__.replace("_np", "_fwd")
    return fwd


register("tanh_backward", "TanhBackwardBackward0", _grad_fwd(tanh_grad_np), _tanh_backward_vjp,
         save_inputs=True, doc="g * (1 - y²), y = tanh(x)",
         sym=lambda ns, args, attrs, out_shape: args[0] * (ns.scalar(1) - args[1] * args[1]))
register("sigmoid_backward", "SigmoidBackwardBackward0", _grad_fwd(sigmoid_grad_np),
         _sigmoid_backward_vjp, save_inputs=True, doc="g * y * (1 - y), y = sigmoid(x)",
         sym=lambda ns, args, attrs, out_shape: args[0] * args[1] * (ns.scalar(1) - args[1]))


# ---- the recorded backward of relu, leaky_relu, hardtanh and elu -------------------------------
def _threshold_backward_vjp(m, gg, out, s, a, need):
    g, y = s  # a: F.threshold's threshold on its input; None: relu's 0 on its output
    return (m.where(y > (0 if a is None else a), gg, 0.0) if need[0] else None,
            m.zeros_like(gg) if need[1] else None)  # piecewise constant in y


register("threshold_backward", "ThresholdBackwardBackward0", _grad_fwd(threshold_grad_np),
         _threshold_backward_vjp, save_inputs=True, doc="g * (y > threshold), threshold 0 for relu")


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


register("leaky_relu_backward", "LeakyReluBackwardBackward0", _grad_fwd(leaky_grad_np),
         _masked_backward_vjp(_leaky_mask), save_inputs=True, doc="x > 0 ? g : g * slope")
register("hardtanh_backward", "HardtanhBackwardBackward0", _grad_fwd(hardtanh_grad_np),
         _masked_backward_vjp(_hardtanh_mask), save_inputs=True, doc="lo < x < hi ? g : 0")


def _elu_backward_vjp(m, gg, out, s, a, need):
    g, x = s
    neg = m.exp(m.where(x > 0, 0.0, x)) * a  # alpha * exp(x) on the x <= 0 side

    def d_x():
        # PyTorch's second derivative: alpha * exp(x) * g strictly left of 0, 0 from 0 on
        return m.where(x < 0, gg * g * neg, 0.0)

    return (m.where(x > 0, gg, gg * neg) if need[0] else None, d_x() if need[1] else None)


register("elu_backward", "EluBackwardBackward0", _grad_fwd(elu_grad_np), _elu_backward_vjp,
         save_inputs=True, doc="x > 0 ? g : g * alpha * exp(x)")
