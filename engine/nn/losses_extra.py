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

from ..ops import OPS
from ..tensor import Tensor, _result
from . import losses
from .loss import _Loss

_SMOOTH_L1, _HUBER = OPS["smooth_l1_loss"], OPS["huber_loss"]


def _piecewise(op, input, target, reduction, k):
    t, x, y = losses._pair(input, target)
    try:
        loss, attrs = op.fwd(x, y, reduction, k)
    except ValueError:
        raise RuntimeError(losses._broadcast_msg(x.shape, y.shape)) from None
    return _result(op, loss, (input, t), attrs)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = x - y); beta = 0 is L1."""
    reduction = losses._reduction(reduction, size_average, reduce)
    losses._size_warning(input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return losses.l1_loss(input, target, reduction=reduction)
    return _piecewise(_SMOOTH_L1, input, target, reduction, beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere (d = x - y)."""
    reduction = losses._reduction(reduction)
    losses._size_warning(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is None:
        return _piecewise(_HUBER, input, target, reduction, delta)
    loss = _piecewise(_HUBER, input, target, "none", delta) * weight
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
