"""The fused loss rows of ``torch.nn.functional`` (nll_loss, mse_loss, binary_cross_entropy
with and without logits, smooth_l1_loss, huber_loss) and ``embedding``: one node each, named as
PyTorch names it. Each forward takes the arrays the public function validated (input, target,
optional weights) and the reduction, and returns ``(out, attrs)``; the numerically stable
forms (clamped logs, log-sigmoid) are the forwards'. The VJPs are written against ``m``, so
``create_graph=True`` works through them."""

from __future__ import annotations

import numpy as np

from ..ns import NP
from .table import register


def reduce_np(loss, reduction):
    """The unreduced ``loss`` reduced as ``reduction`` says, in its own dtype."""
    if reduction == "mean":
        return np.asarray(loss.mean(), dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(loss.sum(), dtype=loss.dtype)
    return loss


def grad_scale(m, g, reduction, n):
    """The incoming grad as it reaches each element of the unreduced loss."""
    if reduction == "mean":
        return g / n
    return g


def _reduce_sym(ns, loss, reduction, n):
    if reduction == "mean":
        return ns.sum(loss, None, False) / ns.scalar(n)
    if reduction == "sum":
        return ns.sum(loss, None, False)
    return loss


# ---- nll_loss ----------------------------------------------------------------------------------
def _nll_fwd(x, t, weight=None, ignore_index=-100, reduction="mean"):
    """-w[t] * x[t], averaged over sum(w[t]) for 'mean'; ``t`` holds class indices (validated
    against ``x``'s shape), ``weight`` the per-class weights or None."""
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
            return out, (x.shape, pick, coef, (n,))
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
    w = (np.ones(c, dtype=x.dtype) if weight is None else weight.astype(x.dtype))[safe_t]
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
    return out, (x.shape, pick, coef, w.shape)


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


def _nll_sym(ns, args, attrs, out_shape):
    _, pick, coef, _ = attrs
    picked = -(args[0][pick] * ns.arr(np.asarray(coef)))
    return ns.sum(picked, None, False) if len(out_shape) == 0 else picked


register("nll_loss", "NllLossBackward0", _nll_fwd, _nll_vjp,
         doc="-w[t] * logp[t] (mean over the weights of the picked targets)", sym=_nll_sym)
# PyTorch computes (N, C, d...) inputs with its 2-D kernel, and names the node after it
register("nll_loss2d", "NllLoss2DBackward0", _nll_fwd, _nll_vjp,
         doc="nll_loss over (N, C, d...) inputs", sym=_nll_sym)


# ---- mse_loss ----------------------------------------------------------------------------------
def _mse_fwd(x, y, reduction="mean"):
    d = x - y  # ValueError when the shapes do not broadcast: the public function reports it
    return reduce_np(d * d, reduction), (reduction, d.size, x.shape, y.shape)


def _mse_vjp(m, g, out, s, a, need):
    x, y = s
    reduction, n, sx, sy = a
    d = (x - y) * (2.0 * grad_scale(m, g, reduction, n))
    return (m.sum_to(d, sx) if need[0] else None, m.sum_to(-d, sy) if need[1] else None)


def _mse_sym(ns, args, attrs, out_shape):
    d = args[0] - args[1]
    return _reduce_sym(ns, d * d, attrs[0], attrs[1])


register("mse_loss", "MseLossBackward0", _mse_fwd, _mse_vjp, save_inputs=True,
         doc="(x - y)^2, reduced", sym=_mse_sym)


# ---- binary cross-entropy ----------------------------------------------------------------------
def _bce_fwd(p, y, weight=None, reduction="mean"):
    """-w (y log p + (1 - y) log(1 - p)), each log clamped at -100 as PyTorch does."""
    with np.errstate(divide="ignore"):
        loss = -(y * np.maximum(np.log(p), -100.0) + (1 - y) * np.maximum(np.log1p(-p), -100.0))
    w = None
    if weight is not None:
        w = np.broadcast_to(weight.astype(p.dtype), loss.shape)
        loss = loss * w
    return reduce_np(loss.astype(p.dtype, copy=False), reduction), (reduction, p.size, w)


def _bce_vjp(m, g, out, s, a, need):
    p, y = s
    reduction, n, w = a
    gs = grad_scale(m, g, reduction, n)
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


def _log_clamped(ns, x):
    # PyTorch clamps each log at -100; the clamp only matters at p in {0, 1}
    return np.maximum(np.log(x), -100.0) if not ns.symbolic else ns.log(x)


def _bce_sym(ns, args, attrs, out_shape):
    reduction, n, w = attrs
    p, y = args
    one = ns.scalar(1)
    loss = -(y * _log_clamped(ns, p) + (one - y) * _log_clamped(ns, one - p))
    if w is not None:
        loss = loss * ns.arr(w)
    return _reduce_sym(ns, loss, reduction, n)


register("binary_cross_entropy", "BinaryCrossEntropyBackward0", _bce_fwd, _bce_vjp,
         save_inputs=True, doc="-(y log p + (1 - y) log(1 - p)), logs clamped at -100",
         sym=_bce_sym)


def _bce_logits_fwd(x, y, weight=None, pos_weight=None, reduction="mean"):
    """BCE on sigmoid(x) through log-sigmoid, so logits of +-1000 give finite losses."""
    ls = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))  # log(sigmoid(x)), never overflowing
    pw = None
    if pos_weight is None:
        loss = (1 - y) * x - ls
    else:
        pw = pos_weight.astype(x.dtype)
        loss = (1 - y) * x - (1 + (pw - 1) * y) * ls
    w = None
    if weight is not None:
        w = np.broadcast_to(weight.astype(x.dtype), loss.shape)
        loss = loss * w
    return reduce_np(loss.astype(x.dtype, copy=False), reduction), (reduction, x.size, w, pw)


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
    gs = grad_scale(m, g, reduction, n)
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


def _log_sigmoid_sym(ns, x):
    if not ns.symbolic:
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
    return -ns.log(ns.scalar(1) + ns.exp(-x))


def _bce_logits_sym(ns, args, attrs, out_shape):
    reduction, n, w, pw = attrs
    x, y = args
    one = ns.scalar(1)
    c = one if pw is None else one + (ns.arr(pw) - one) * y
    loss = (one - y) * x - c * _log_sigmoid_sym(ns, x)
    if w is not None:
        loss = loss * ns.arr(w)
    return _reduce_sym(ns, loss, reduction, n)


register("binary_cross_entropy_with_logits", "BinaryCrossEntropyWithLogitsBackward0",
         _bce_logits_fwd, _bce_logits_vjp, save_inputs=True,
         doc="(1 - y) x - c log(sigmoid(x)), c = 1 + (pos_weight - 1) y", sym=_bce_logits_sym)


# ---- smooth_l1_loss / huber_loss ---------------------------------------------------------------
def _piecewise_fwd(x, y, reduction, k, huber):
    d = np.abs(x - y)  # ValueError when the shapes do not broadcast: the public function reports it
    if huber:
        loss = np.where(d < k, 0.5 * d * d, k * (d - 0.5 * k))
    else:
        loss = np.where(d < k, 0.5 * d * d / k, d - 0.5 * k)
    return reduce_np(loss.astype(d.dtype, copy=False), reduction), (reduction, d.size, k, huber)


def _smooth_l1_fwd(x, y, reduction="mean", beta=1.0):
    return _piecewise_fwd(x, y, reduction, float(beta), False)


def _huber_fwd(x, y, reduction="mean", delta=1.0):
    return _piecewise_fwd(x, y, reduction, float(delta), True)


def _piece_vjp(m, g, out, s, a, need):
    x, y = s
    reduction, n, k, huber = a  # k: beta (smooth L1) or delta (Huber)
    d = x - y
    # smooth L1: d / beta inside, sign(d) outside; Huber: d inside, delta * sign(d) outside
    inner = d if huber else d / k
    outer = m.sign(d) * k if huber else m.sign(d)
    gd = m.where(d * m.sign(d) < k, inner, outer) * grad_scale(m, g, reduction, n)
    return (m.sum_to(gd, m.shape(x)) if need[0] else None,
            m.sum_to(-gd, m.shape(y)) if need[1] else None)


register("smooth_l1_loss", "SmoothL1LossBackward0", _smooth_l1_fwd, _piece_vjp,
         save_inputs=True, doc="0.5 d^2 / beta if |d| < beta else |d| - beta / 2")
register("huber_loss", "HuberLossBackward0", _huber_fwd, _piece_vjp, save_inputs=True,
         doc="0.5 d^2 if |d| < delta else delta (|d| - delta / 2)")


# ---- embedding ---------------------------------------------------------------------------------
def _embedding_fwd(weight, idx, padding_idx=None, scale_grad_by_freq=False):
    """``weight[idx]``; ``idx`` holds validated int indices, ``padding_idx`` is non-negative."""
    out = weight[idx]
    keep = None
    if padding_idx is not None or scale_grad_by_freq:
        keep = np.ones(idx.shape, dtype=weight.dtype)
        if scale_grad_by_freq:
            counts = np.bincount(idx.reshape(-1), minlength=weight.shape[0])
            keep = keep / counts[idx]
        if padding_idx is not None:
            keep = np.where(idx == padding_idx, 0, keep).astype(weight.dtype)
        keep = keep.astype(weight.dtype)
    # whether the padding row held zeros (then it is the constant 0 to the symbolic check)
    pad_zero = padding_idx is not None and not weight[padding_idx].any()
    return out, (weight.shape, idx.astype(np.int64), keep, pad_zero)


def _embedding_vjp(m, g, out, s, a, need):
    shape, idx, keep, _ = a  # keep: per-index factor (0 at padding_idx, 1/count when scaled)
    if m is NP:
        g = np.broadcast_to(g, idx.shape + shape[1:])
        if keep is not None:
            g = g * keep[..., None]
        z = np.zeros(shape, dtype=g.dtype)
        np.add.at(z, idx.reshape(-1), g.reshape(-1, shape[1]))
        return (z,)
    g = m.expand(g, idx.shape + shape[1:])
    if keep is not None:
        g = g * keep[..., None]
    return (m.index_scatter(g, shape, (idx,)),)


def _embedding_sym(ns, args, attrs, out_shape):
    _, idx, keep, pad_zero = attrs
    out = args[0][idx]
    if pad_zero:  # a zero padding row is the constant 0, not the weight's symbols
        out = ns.where((keep == 0)[..., None], ns.scalar(0), out)
    return out


register("embedding", "EmbeddingBackward0", _embedding_fwd, _embedding_vjp,
         doc="weight[indices] (rows of an embedding table)", sym=_embedding_sym)
