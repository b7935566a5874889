"""The losses ``torch.nn.functional`` gives: those PyTorch computes as one fused kernel
(nll_loss, mse_loss, binary_cross_entropy[_with_logits]) are op rows registered here, each one
graph node named as PyTorch names it, with a numerically stable numpy forward and a VJP written
against the math namespace ``m`` so that ``create_graph=True`` works through them. Composite losses
(``l1_loss``, ``cross_entropy`` = ``nll_loss(log_softmax(x))``) are built from those rows, so the
graph has the same nodes PyTorch records. The reduction helpers here serve every loss module."""

from __future__ import annotations

import warnings

import numpy as np

from ..functions import log_softmax as _log_softmax
from ..ops import OPS
from ..tensor import Tensor, _broadcast_error, _result, _wrap, as_array

_REDUCTIONS = ("none", "mean", "sum")


def _reduction(reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:  # legacy arguments, as PyTorch maps them
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        return "none" if not reduce else "mean" if size_average else "sum"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


# ---- nll_loss / cross_entropy --------------------------------------------------------------------
_NLL, _NLL2D = OPS["nll_loss"], OPS["nll_loss2d"]


def _class_targets(x, t):
    """Validate (N, C, d...) input against (N, d...) class-index targets."""
    if t.dtype.kind not in "iu":
        found = _TYPE_NAMES.get(t.dtype.kind, t.dtype.name)
        raise RuntimeError(f"expected scalar type Long but found {found}")
    if x.ndim == 1:
        if t.ndim != 0:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        return
    if t.ndim == 0 or t.shape[0] != x.shape[0]:
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target "
                         f"batch_size ({t.shape[0] if t.ndim else 1}).")
    if t.shape != x.shape[:1] + x.shape[2:]:
        raise RuntimeError(f"Expected target size {list(x.shape[:1] + x.shape[2:])}, got "
                           f"{list(t.shape)}")


_TYPE_NAMES = {"f": "Float", "b": "Bool"}


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """-w[t] * input[t], averaged over sum(w[t]) (``reduction='mean'``)."""
    reduction = _reduction(reduction, size_average, reduce)
    x = input._data
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    _class_targets(x, t)
    op = _NLL2D if x.ndim > 2 else _NLL
    out, attrs = op.fwd(x, t, None if weight is None else weight._data, ignore_index, reduction)
    return _result(op, out, (input,), attrs)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """nll_loss(log_softmax(x, 1), t) for class indices; -sum(p * log_softmax(x)) for class
    probabilities (a float target shaped like the input)."""
    reduction = _reduction(reduction, size_average, reduce)
    class_dim = 0 if input.dim() == 1 else 1
    logp = _log_softmax(input, class_dim)
    t = target if isinstance(target, Tensor) else _wrap(as_array(target))
    probs = t._data.dtype.kind == "f"
    if label_smoothing == 0.0 and not probs:
        return nll_loss(logp, t, weight, ignore_index=ignore_index, reduction=reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    c = input.shape[class_dim]
    wshape = [1] * input.dim()
    wshape[class_dim] = c
    w = None if weight is None else weight.reshape(wshape)
    if probs:
        if t.shape != input.shape:
            raise RuntimeError("Expected input batch_size and target batch_size to match when "
                               "using class probabilities")
        p = t * (1.0 - label_smoothing) + label_smoothing / c if label_smoothing else t
        per = -((logp * p) if w is None else (logp * p * w)).sum(class_dim)
        if reduction == "mean":
            return per.sum() / (per.numel() or 1)
        return per.sum() if reduction == "sum" else per
    # class indices with label smoothing: (1 - eps) * nll + eps * mean over classes of -logp
    nll = nll_loss(logp, t, weight, ignore_index=ignore_index, reduction=reduction)
    valid = _wrap((t._data != ignore_index).astype(logp._data.dtype))
    smooth = -((logp if w is None else logp * w).sum(class_dim)) * valid
    if reduction == "mean":
        if weight is None:
            smooth = smooth.sum() / valid.sum()
        else:
            wt = weight._data[np.where(t._data != ignore_index, t._data, 0)] * valid._data
            smooth = smooth.sum() / float(wt.sum())
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1.0 - label_smoothing) + smooth * (label_smoothing / c)


# ---- mse_loss / l1_loss --------------------------------------------------------------------------
def _size_warning(input, target, stacklevel=3):
    if input.shape != target.shape:
        warnings.warn(f"Using a target size ({target.shape!r}) that is different to the input size "
                      f"({input.shape!r}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=stacklevel)


_MSE = OPS["mse_loss"]


def _pair(input, target):
    t = target if isinstance(target, Tensor) else _wrap(as_array(target, input.dtype))
    x, y = input._data, t._data
    if x.dtype != y.dtype and y.dtype.kind == "f" and x.dtype.kind == "f":
        y = y.astype(np.promote_types(x.dtype, y.dtype))
        x = x.astype(y.dtype)
    return t, x, y


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight=None) -> Tensor:
    """mean((x - y)^2)."""
    reduction = _reduction(reduction, size_average, reduce)
    _size_warning(input, target)
    t, x, y = _pair(input, target)
    try:
        loss, attrs = _MSE.fwd(x, y, reduction)
    except ValueError:
        raise RuntimeError(_broadcast_msg(x.shape, y.shape)) from None
    return _result(_MSE, loss, (input, t), attrs)


def _broadcast_msg(sa, sb):
    return str(_broadcast_error(sa, sb))


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight=None) -> Tensor:
    """mean(|x - y|): composite, as PyTorch records it (MeanBackward0 over AbsBackward0)."""
    reduction = _reduction(reduction, size_average, reduce)
    _size_warning(input, target)
    d = (input - target).abs()
    if reduction == "mean":
        return d.mean()
    return d.sum() if reduction == "sum" else d


# ---- binary cross-entropy ------------------------------------------------------------------------
_BCE = OPS["binary_cross_entropy"]
_BCE_LOGITS = OPS["binary_cross_entropy_with_logits"]


def _same_size(input, target, msg):
    if input.shape != target.shape:
        raise ValueError(msg.format(t=target.shape, i=input.shape))


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """-w (y log p + (1 - y) log(1 - p)); each log clamped at -100 as PyTorch does."""
    reduction = _reduction(reduction, size_average, reduce)
    t, p, y = _pair(input, target)
    _same_size(input, t, "Using a target size ({t!r}) that is different to the input size ({i!r}) "
                         "is deprecated. Please ensure they have the same size.")
    if np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss, attrs = _BCE.fwd(p, y, None if weight is None else weight._data, reduction)
    return _result(_BCE, loss, (input, t), attrs)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE on sigmoid(x) through log-sigmoid, so logits of +-1000 give finite losses."""
    reduction = _reduction(reduction, size_average, reduce)
    t, x, y = _pair(input, target)
    _same_size(input, t, "Target size ({t!r}) must be the same as input size ({i!r})")
    loss, attrs = _BCE_LOGITS.fwd(x, y, None if weight is None else weight._data,
                                  None if pos_weight is None else pos_weight._data, reduction)
    return _result(_BCE_LOGITS, loss, (input, t), attrs)
