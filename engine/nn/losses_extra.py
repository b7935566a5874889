"""``F.smooth_l1_loss``, ``F.huber_loss`` (one fused node each, as PyTorch records them) and
``F.kl_div`` (a composite of sub/mul/log/exp and the reduction, as PyTorch records it), with
their modules ``nn.SmoothL1Loss``, ``nn.HuberLoss``, ``nn.KLDivLoss``.

Both fused losses are ``q(|x - y|)`` with a quadratic part below ``beta`` (``delta``) and a
linear part above; their VJPs are written against the math namespace so ``create_graph=True``
differentiates through them.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..tensor import Tensor, _result
from ..ops import register
from . import losses
from .loss import _Loss


def _piece_vjp(m, g, out, s, a, need):
    x, y = s
    reduction, n, k, huber = a  # k: beta (smooth L1) or delta (Huber)
    d = x - y
    # smooth L1: d / beta inside, sign(d) outside; Huber: d inside, delta * sign(d) outside
    inner = d if huber else d / k
    outer = m.sign(d) * k if huber else m.sign(d)
    gd = m.where(d * m.sign(d) < k, inner, outer) * losses._grad_scale(m, g, reduction, n)
    return (m.sum_to(gd, m.shape(x)) if need[0] else None,
            m.sum_to(-gd, m.shape(y)) if need[1] else None)


_SMOOTH_L1 = register("smooth_l1_loss", "SmoothL1LossBackward0", None, _piece_vjp,
                      save_inputs=True, doc="0.5 d^2 / beta if |d| < beta else |d| - beta / 2")
_HUBER = register("huber_loss", "HuberLossBackward0", None, _piece_vjp, save_inputs=True,
                  doc="0.5 d^2 if |d| < delta else delta (|d| - delta / 2)")


def _piecewise(op, input, target, reduction, k, huber):
    t, x, y = losses._pair(input, target)
    try:
        d = np.abs(x - y)
    except ValueError:
        raise RuntimeError(losses._broadcast_msg(x.shape, y.shape)) from None
    if huber:
        loss = np.where(d < k, 0.5 * d * d, k * (d - 0.5 * k))
    else:
        loss = np.where(d < k, 0.5 * d * d / k, d - 0.5 * k)
    loss = losses._reduce_np(loss.astype(d.dtype, copy=False), reduction)
    return _result(op, loss, (input, t), (reduction, d.size, k, huber))


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = x - y); beta = 0 is L1."""
    reduction = losses._reduction(reduction, size_average, reduce)
    losses._size_warning(input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return losses.l1_loss(input, target, reduction=reduction)
    return _piecewise(_SMOOTH_L1, input, target, reduction, float(beta), False)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere (d = x - y)."""
    reduction = losses._reduction(reduction)
    losses._size_warning(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is None:
        return _piecewise(_HUBER, input, target, reduction, float(delta), True)
    loss = _piecewise(_HUBER, input, target, "none", float(delta), True) * weight
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _xlogy_const(t: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t == 0, 0, t * np.log(t)).astype(t.dtype)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Pointwise KL divergence with ``input`` holding log-probabilities: ``target * (log(target)
    - input)`` (``exp(target) * (target - input)`` with ``log_target=True``), then the reduction;
    ``'batchmean'`` divides the sum by the batch size. A target without grad enters as a constant
    ``xlogy(t, t)``, as PyTorch records it; a target that needs a grad goes through ``t * log(t)``
    (PyTorch: XlogyBackward0)."""
    if size_average is not None or reduce is not None:
        reduction = losses._reduction(reduction, size_average, reduce)
    elif reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    elif target.requires_grad:
        loss = target * target.log() - target * input
    else:
        from ..tensor import _wrap

        loss = _wrap(_xlogy_const(target._data)) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.dim() else 1)
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


class SmoothL1Loss(_Loss):
    """Smooth L1: quadratic below ``beta``, linear above."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Huber: quadratic below ``delta``, linear (slope delta) above."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """KL divergence of log-probability inputs from (log-)probability targets."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False):
        if size_average is not None or reduce is not None:
            reduction = losses._reduction(reduction, size_average, reduce)
        super().__init__(reduction="mean")
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
