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
from ..ns import NP
from ..ops import register
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


def _reduce_np(loss, reduction):
    if reduction == "mean":
        return np.asarray(loss.mean(), dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(loss.sum(), dtype=loss.dtype)
    return loss


def _grad_scale(m, g, reduction, n):
    """The incoming grad as it reaches each element of the unreduced loss."""
    if reduction == "mean":
        return g / n
    return g



# ---- nll_loss / cross_entropy --------------------------------------------------------------------
def _nll_vjp(m, g, out, s, a, need):
    shape, pick, coef, pshape = a  # coef: per-target weight / normaliser (0 where ignored)
    gi = g * coef
    if m is NP:
        z = np.zeros(shape, dtype=gi.dtype)
        z[pick] = -gi
        return (z,)
    if m.shape(gi) != pshape:
        gi = m.expand(gi, pshape)
    return (m.index_scatter(-gi, shape, pick),)


_NLL = register("nll_loss", "NllLossBackward0", None, _nll_vjp,
                doc="-w[t] * logp[t] (mean over the weights of the picked targets)")
# PyTorch computes (N, C, d...) inputs with its 2-D kernel, and names the node after it
_NLL2D = register("nll_loss2d", "NllLoss2DBackward0", None, _nll_vjp,
                  doc="nll_loss over (N, C, d...) inputs")


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
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    if (x.ndim == 2 and weight is None and reduction != "none" and t.size
            and not 0 <= ignore_index < c and t.min() >= 0):
        # the training-loop case: no class weights, nothing ignored (targets >= 0 > the default
        # ignore_index); a target >= C makes the indexing fail and the general path report it
        n = x.shape[0]
        pick = (np.arange(n), t)
        try:
            total = x[pick].sum()
        except IndexError:
            pass
        else:
            out = np.asarray(-total / n if reduction == "mean" else -total, dtype=x.dtype)
            coef = np.asarray(1.0 / n if reduction == "mean" else 1.0, dtype=x.dtype)
            return _result(_NLL, out, (input,), (x.shape, pick, coef, (n,)))
    valid = t != ignore_index
    bad = t[valid & ((t < 0) | (t >= c))]
    if bad.size:
        raise IndexError(f"Target {bad.flat[0]} is out of bounds.")
    safe_t = np.where(valid, t, 0)
    if x.ndim == 1:
        pick = (int(safe_t),)
    else:
        idx = list(np.indices(t.shape, sparse=True))
        pick = (idx[0], safe_t, *idx[1:])
    w = (np.ones(c, dtype=x.dtype) if weight is None else weight._data.astype(x.dtype))[safe_t]
    w = np.where(valid, w, 0).astype(x.dtype)
    losses = -w * x[pick]
    if reduction == "none":
        out, coef = losses.astype(x.dtype), w
    elif reduction == "sum":
        out, coef = np.asarray(losses.sum(), dtype=x.dtype), w
    else:
        total = w.sum(dtype=x.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):  # all ignored: nan, as PyTorch
            out = np.asarray(losses.sum() / total, dtype=x.dtype)
            coef = (w / total).astype(x.dtype)
    return _result(_NLL2D if x.ndim > 2 else _NLL, out, (input,), (x.shape, pick, coef, w.shape))


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


def _mse_vjp(m, g, out, s, a, need):
    x, y = s
    reduction, n, sx, sy = a
    d = (x - y) * (2.0 * _grad_scale(m, g, reduction, n))
    return (m.sum_to(d, sx) if need[0] else None, m.sum_to(-d, sy) if need[1] else None)


_MSE = register("mse_loss", "MseLossBackward0", None, _mse_vjp, save_inputs=True,
                doc="(x - y)^2, reduced")


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
        d = x - y
    except ValueError:
        raise RuntimeError(_broadcast_msg(x.shape, y.shape)) from None
    loss = _reduce_np(d * d, reduction)
    return _result(_MSE, loss, (input, t), (reduction, d.size, x.shape, y.shape))


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
def _bce_vjp(m, g, out, s, a, need):
    p, y = s
    reduction, n, w = a
    gs = _grad_scale(m, g, reduction, n)
    if w is not None:
        gs = gs * w
    # PyTorch's clamp: the denominator never goes below 1e-12
    dp = None
    if need[0]:
        denom = (1.0 - p) * p
        denom = m.where(denom < 1e-12, 1e-12, denom)
        dp = gs * (p - y) / denom
    dy = None
    if need[1]:
        dy = gs * (_clamped_log(m, 1.0 - p) - _clamped_log(m, p))
    return dp, dy


def _clamped_log(m, x):
    safe = m.where(x > 0, x, 1.0)
    lg = m.log(safe)
    return m.where(lg < -100.0, -100.0, m.where(x > 0, lg, -100.0))


_BCE = register("binary_cross_entropy", "BinaryCrossEntropyBackward0", None, _bce_vjp,
                save_inputs=True, doc="-(y log p + (1 - y) log(1 - p)), logs clamped at -100")


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
    with np.errstate(divide="ignore"):
        loss = -(y * np.maximum(np.log(p), -100.0) + (1 - y) * np.maximum(np.log1p(-p), -100.0))
    w = None
    if weight is not None:
        w = np.broadcast_to(weight._data.astype(p.dtype), loss.shape)
        loss = loss * w
    loss = _reduce_np(loss.astype(p.dtype, copy=False), reduction)
    return _result(_BCE, loss, (input, t), (reduction, p.size, w))


def _log_sigmoid_np(x):
    """log(sigmoid(x)) without overflow: min(x, 0) - log1p(exp(-|x|))."""
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def _sigmoid_m(m, x):
    e = m.exp(-(x * m.sign(x)))  # exp(-|x|) <= 1: never overflows
    return m.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus_neg_m(m, x):
    """log(1 + exp(-x)) = max(-x, 0) + log(1 + exp(-|x|))."""
    ax = x * m.sign(x)
    return (ax - x) * 0.5 + m.log(1.0 + m.exp(-ax))


def _bce_logits_vjp(m, g, out, s, a, need):
    x, y = s
    reduction, n, w, pw = a
    gs = _grad_scale(m, g, reduction, n)
    if w is not None:
        gs = gs * w
    sig = _sigmoid_m(m, x)
    dx = dy = None
    if need[0]:
        # d/dx [(1 - y) x + c softplus(-x)] = c sigmoid(x) - pw y,  c = 1 + (pw - 1) y
        dx = gs * (sig - y) if pw is None else gs * ((1.0 + (pw - 1.0) * y) * sig - pw * y)
    if need[1]:
        # d/dy = -x + (pw - 1) softplus(-x)
        dy = gs * (-x) if pw is None else gs * (-x + (pw - 1.0) * _softplus_neg_m(m, x))
    return dx, dy


_BCE_LOGITS = register("binary_cross_entropy_with_logits", "BinaryCrossEntropyWithLogitsBackward0",
                       None, _bce_logits_vjp, save_inputs=True,
                       doc="(1 - y) x - c log(sigmoid(x)), c = 1 + (pos_weight - 1) y")


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE on sigmoid(x) through log-sigmoid, so logits of +-1000 give finite losses."""
    reduction = _reduction(reduction, size_average, reduce)
    t, x, y = _pair(input, target)
    _same_size(input, t, "Target size ({t!r}) must be the same as input size ({i!r})")
    ls = _log_sigmoid_np(x)
    pw = None
    if pos_weight is None:
        loss = (1 - y) * x - ls
    else:
        pw = pos_weight._data.astype(x.dtype)
        loss = (1 - y) * x - (1 + (pw - 1) * y) * ls
    w = None
    if weight is not None:
        w = np.broadcast_to(weight._data.astype(x.dtype), loss.shape)
        loss = loss * w
    loss = _reduce_np(loss.astype(x.dtype, copy=False), reduction)
    return _result(_BCE_LOGITS, loss, (input, t), (reduction, x.size, w, pw))

