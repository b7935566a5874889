"""Matrix rules for the layer ops: convolution (``∂L/∂X = conv_transpose(∂L/∂Y, W)``,
``∂L/∂W = corr(X, ∂L/∂Y)``, ``∂L/∂b = Σ_(n,h,w) ∂L/∂Y``), average pooling, batch and layer
normalisation (the textbook's ``(1/σ)(∂L/∂x̂ − mean ∂L/∂x̂ − x̂ ⊙ mean(∂L/∂x̂ ⊙ x̂))``) and the
2-d negative log-likelihood. Values are computed in numpy from the forward values, one kernel
offset at a time, independently of the engine's backward."""

from __future__ import annotations

import numpy as np

from . import matrix_expr as mx
from .matrix_rules import _Given, _nll
from .matrix_rules_more import _call


def _arg(g):
    """A named adjoint as it is (Σ ∂L/∂Z), anything else parenthesised."""
    return (g.text(), g.tex()) if isinstance(g, mx.Sym) else g.wrap(mx.ATOM)


def _conv_parts(node, ins):
    stride, pad, dil, groups, oned = node.attrs
    x, w = ins[0].value, ins[1].value
    if oned:
        x, w = x[:, :, None, :], w[:, :, None, :]
    return x, w, tuple(stride), tuple(pad), tuple(dil), groups, oned


def _conv_adjoint(node, ins, gv):
    x, w, s, p, d, groups, oned = _conv_parts(node, ins)
    if oned:
        gv = gv[:, :, None, :]
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh, ow = gv.shape[2:]
    xp = np.zeros((n, c, h + 2 * p[0], wd + 2 * p[1]))
    xp[:, :, p[0]:p[0] + h, p[1]:p[1] + wd] = x
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    og = o // groups
    gr = gv.reshape(n, groups, og, oh, ow)
    wr = w.reshape(groups, og, cg, kh, kw)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * d[0], i * d[0] + s[0] * (oh - 1) + 1, s[0])
            cols = slice(j * d[1], j * d[1] + s[1] * (ow - 1) + 1, s[1])
            patch = xp[:, :, rows, cols].reshape(n, groups, cg, oh, ow)
            dw[:, :, i, j] = np.einsum("ngohw,ngchw->goc", gr, patch).reshape(o, cg)
            dxp[:, :, rows, cols] += np.einsum("ngohw,goc->ngchw", gr,
                                               wr[:, :, :, i, j]).reshape(n, c, oh, ow)
    dx = dxp[:, :, p[0]:p[0] + h, p[1]:p[1] + wd]
    if oned:
        dx, dw = dx[:, :, 0, :], dw[:, :, 0, :]
    return dx, dw


def _convolution(node, ins, out, g):
    dx, dw = _conv_adjoint(node, ins, g.value)
    grads = [_call("conv_transpose", r"\operatorname{conv}^{T}", [g, ins[1]], dx),
             _call("corr", r"\operatorname{corr}", [ins[0], g], dw)]
    if len(ins) > 2 and ins[2] is not None:
        axes = (0,) + tuple(range(2, g.value.ndim))
        gt = _arg(g)
        grads.append(_Given(f"Σ_(n,h,w) {gt[0]}", rf"\sum_{{n,h,w}} {gt[1]}",
                            g.value.sum(axis=axes)))
    return grads


def _avg_pool(node, ins, out, g):
    from engine.nn.conv import window_index

    shape, k, s, p, d, extra, div = node.attrs
    n, c, h, w = shape
    oh, ow = g.value.shape[2:]
    gp = np.zeros((n, c, h + p[0] + extra[0], w + p[1] + extra[1]))
    ih, iw = window_index(oh, ow, k[0], k[1], s, d)
    share = (g.value / np.asarray(div, np.float64))[:, :, :, :, None, None]
    np.add.at(gp, (slice(None), slice(None), ih, iw),
              np.broadcast_to(share, (n, c, oh, ow, k[0], k[1])))
    value = gp[:, :, p[0]:p[0] + h, p[1]:p[1] + w]
    gt = _arg(g)
    return [_Given(f"Σ_(windows ∋ x) {gt[0]} ⊘ |window|",
                   rf"\sum_{{\mathrm{{windows}} \ni x}} \frac{{{g.tex()}}}{{|\mathrm{{window}}|}}",
                   value)]


def _adaptive_avg_pool(node, ins, out, g):
    shape, rh, rw = node.attrs
    value = np.zeros(shape)
    for i, (h0, h1) in enumerate(rh):
        for j, (w0, w1) in enumerate(rw):
            value[:, :, h0:h1, w0:w1] += (g.value[:, :, i, j] / ((h1 - h0) * (w1 - w0))
                                          )[:, :, None, None]
    gt = _arg(g)
    return [_Given(f"Σ_(cells ∋ x) {gt[0]} ⊘ |cell|",
                   rf"\sum_{{\mathrm{{cells}} \ni x}} \frac{{{g.tex()}}}{{|\mathrm{{cell}}|}}",
                   value)]


def _to_param(v, ps, shape):
    """``v`` (shaped like the input) summed to the parameter's broadcast shape ``ps``, then
    reshaped to the parameter's own ``shape``."""
    lead = v.ndim - len(ps)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(ps) if s == 1
                                      and v.shape[lead + i] != 1)
    return v.sum(axis=axes, keepdims=True).reshape(shape)


def _normalization(node, ins, out, g):
    dims, eps, ps, batch, mean, invstd = node.attrs
    x = ins[0]
    gamma = ins[1] if len(ins) > 1 else None
    beta = ins[2] if len(ins) > 2 else None
    axes = tuple(d % x.value.ndim for d in dims)
    if batch:
        mu = x.value.mean(axis=axes, keepdims=True)
        inv = 1.0 / np.sqrt(((x.value - mu) ** 2).mean(axis=axes, keepdims=True) + eps)
    else:  # running statistics: constants
        mu, inv = np.asarray(mean, np.float64), np.asarray(invstd, np.float64)
    xhat = (x.value - mu) * inv
    gt = g.wrap(mx.MUL)
    if gamma is not None:
        gh = g.value * gamma.value.reshape(ps)
        dxhat = (f"{gt[0]} ⊙ {gamma.wrap(mx.ATOM)[0]}", rf"{gt[1]} \odot {gamma.wrap(mx.ATOM)[1]}")
    else:
        gh, dxhat = g.value, (g.text(), g.tex())
    stat = "μ_B, σ_B over the batch" if batch else "running mean and variance"
    if batch:
        value = inv * (gh - gh.mean(axis=axes, keepdims=True)
                       - xhat * (gh * xhat).mean(axis=axes, keepdims=True))
        dx = _Given(f"(1/σ) ⊙ (ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)), ĝ = {dxhat[0]}, "
                    f"x̂ = ({x.text()} − μ)/σ ({stat})",
                    r"\frac{1}{\sigma} \odot \left(\hat{g} - \overline{\hat{g}} - \hat{x} \odot"
                    rf" \overline{{\hat{{g}} \odot \hat{{x}}}}\right),\ \hat{{g}} = {dxhat[1]}",
                    value)
    else:
        dx = _Given(f"({dxhat[0]}) ⊘ σ ({stat})", rf"\frac{{{dxhat[1]}}}{{\sigma}}", gh * inv)
    grads = [dx]
    if gamma is not None:
        grads.append(_Given(f"Σ {gt[0]} ⊙ x̂", rf"\sum {gt[1]} \odot \hat{{x}}",
                            _to_param(g.value * xhat, ps, gamma.shape)))
    if beta is not None:
        grads.append(_Given(f"Σ {_arg(g)[0]}", rf"\sum {_arg(g)[1]}",
                            _to_param(g.value, ps, beta.shape)))
    return grads


RULES_LAYERS = {
    "convolution": _convolution,
    "avg_pool2d": _avg_pool,
    "adaptive_avg_pool2d": _adaptive_avg_pool,
    "native_batch_norm": _normalization,
    "native_layer_norm": _normalization,
    "nll_loss2d": _nll,
}
