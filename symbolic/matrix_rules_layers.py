"""Matrix rules for the layer ops: convolution (``∂L/∂X = conv_transpose(∂L/∂Y, W)``,
``∂L/∂W = corr(X, ∂L/∂Y)``, ``∂L/∂b = Σ_(n,h,w) ∂L/∂Y``), average pooling, batch and layer
normalisation (the textbook's ``(1/σ)(∂L/∂x̂ − mean ∂L/∂x̂ − x̂ ⊙ mean(∂L/∂x̂ ⊙ x̂))``) and the
2-d negative log-likelihood. Values are computed in numpy from the forward values, one kernel
offset at a time, independently of the engine's backward."""

from __future__ import annotations

import numpy as np

from engine.ops.nn_conv import window_index

from . import matrix_expr as mx
from .matrix_rules import _Given, _nll
from .matrix_rules_more import _call


def _arg(g):
    """A named adjoint as it is (Σ ∂L/∂Z), anything else parenthesised."""
    return (g.text(), g.tex()) if isinstance(g, mx.Sym) else g.wrap(mx.ATOM)


def _taps(k, s, d, n):
    """For each kernel tap (a tuple), the strided slices of the padded input it reads for
    outputs of spatial size ``n``."""
    for at in np.ndindex(*k):
        yield at, tuple(slice(at[i] * d[i], at[i] * d[i] + s[i] * (n[i] - 1) + 1, s[i])
                        for i in range(len(k)))


def _conv_adjoint(x, w, gv, s, p, d, groups):
    """(∂L/∂X, ∂L/∂W) of Y = conv(X, W) for any number of spatial dims, one kernel tap at a
    time: each tap reads a strided slice of the zero-padded X."""
    n, c = x.shape[:2]
    o, cg = w.shape[:2]
    k, out = w.shape[2:], gv.shape[2:]
    nd = len(k)
    xp = np.zeros((n, c) + tuple(x.shape[2 + i] + 2 * p[i] for i in range(nd)))
    inner = (slice(None), slice(None)) + tuple(slice(p[i], p[i] + x.shape[2 + i])
                                               for i in range(nd))
    xp[inner] = x
    dxp, dw = np.zeros_like(xp), np.zeros(w.shape)
    og = o // groups
    gr = gv.reshape((n, groups, og) + out)
    wr = w.reshape((groups, og, cg) + k)
    for at, part in _taps(k, s, d, out):
        where = (slice(None), slice(None)) + part
        patch = xp[where].reshape((n, groups, cg) + out)
        dw[(slice(None), slice(None)) + at] = np.einsum(
            "ngol,ngcl->goc", gr.reshape(n, groups, og, -1),
            patch.reshape(n, groups, cg, -1)).reshape(o, cg)
        dxp[where] += np.einsum("ngo...,goc->ngc...", gr,
                                wr[(slice(None),) * 3 + at]).reshape((n, c) + out)
    return dxp[inner], dw


def _conv_transpose_adjoint(x, w, gv, s, p, d, groups, full):
    """(∂L/∂X, ∂L/∂W) of Y = conv_transpose(X, W): Y is the padded output ``full`` cropped by
    ``p``, where each input element times W[c, o] is added at stride ``s``; so ∂L/∂X is a
    strided convolution of ∂L/∂Y (zero-padded back to ``full``) with W."""
    n, c = x.shape[:2]
    ocg = w.shape[1]
    k, spatial = w.shape[2:], x.shape[2:]
    nd = len(k)
    gfull = np.zeros(gv.shape[:2] + tuple(full))
    gfull[(slice(None), slice(None)) + tuple(slice(p[i], p[i] + gv.shape[2 + i])
                                             for i in range(nd))] = gv
    cg = c // groups
    xr = x.reshape((n, groups, cg) + spatial)
    wr = w.reshape((groups, cg, ocg) + k)
    dx, dw = np.zeros(xr.shape), np.zeros(wr.shape)
    for at, part in _taps(k, s, d, spatial):
        patch = gfull[(slice(None), slice(None)) + part].reshape((n, groups, ocg) + spatial)
        dx += np.einsum("ngo...,gco->ngc...", patch, wr[(slice(None),) * 3 + at])
        dw[(slice(None),) * 3 + at] = np.einsum("ngcl,ngol->gco", xr.reshape(n, groups, cg, -1),
                                                patch.reshape(n, groups, ocg, -1))
    return dx.reshape(x.shape), dw.reshape(w.shape)


def _bias_grad(ins, g):
    if len(ins) > 2 and ins[2] is not None:
        axes = (0,) + tuple(range(2, g.value.ndim))
        gt = _arg(g)
        return [_Given(f"Σ_(n,h,w) {gt[0]}", rf"\sum_{{n,h,w}} {gt[1]}",
                       g.value.sum(axis=axes))]
    return []


def _convolution(node, ins, out, g):
    stride, pad, dil, groups, oned = node.attrs
    x, w, gv = ins[0].value, ins[1].value, np.broadcast_to(g.value, out.shape)
    if oned:  # conv1d is recorded as a 2-d convolution of height 1
        stride, pad, dil = stride[-1:], pad[-1:], dil[-1:]
    dx, dw = _conv_adjoint(x, w, gv, tuple(stride), tuple(pad), tuple(dil), groups)
    grads = [_call("conv_transpose", r"\operatorname{conv}^{T}", [g, ins[1]], dx),
             _call("corr", r"\operatorname{corr}", [ins[0], g], dw)]
    return grads + _bias_grad(ins, g)


def _convolution_nd(node, ins, out, g):
    s, p, d, groups = node.attrs[:4]
    gv = np.broadcast_to(g.value, out.shape)
    dx, dw = _conv_adjoint(ins[0].value, ins[1].value, gv, s, p, d, groups)
    grads = [_call("conv_transpose", r"\operatorname{conv}^{T}", [g, ins[1]], dx),
             _call("corr", r"\operatorname{corr}", [ins[0], g], dw)]
    return grads + _bias_grad(ins, g)


def _convolution_transpose(node, ins, out, g):
    s, p, d, groups = node.attrs[:4]
    x, w = ins[0].value, ins[1].value
    gv = np.broadcast_to(g.value, out.shape)
    spatial, k = x.shape[2:], w.shape[2:]
    full = tuple(max((spatial[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1, p[i] + gv.shape[2 + i])
                 for i in range(len(k)))
    dx, dw = _conv_transpose_adjoint(x, w, gv, s, p, d, groups, full)
    grads = [_call("conv", r"\operatorname{conv}", [g, ins[1]], dx),
             _call("corr", r"\operatorname{corr}", [g, ins[0]], dw)]
    return grads + _bias_grad(ins, g)


def _avg_pool(node, ins, out, g):
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
    "convolution_nd": _convolution_nd,
    "convolution_transpose": _convolution_transpose,
    "avg_pool2d": _avg_pool,
    "adaptive_avg_pool2d": _adaptive_avg_pool,
    "native_batch_norm": _normalization,
    "native_layer_norm": _normalization,
    "nll_loss2d": _nll,
}
