"""The layer rows of ``torch.nn.functional``: ``convolution`` (conv1d/conv2d, im2col + one
matmul per group), ``constant_pad_nd`` and the normalisations (``native_batch_norm``,
``native_layer_norm``). Each forward takes the arrays the public function validated and the
op's resolved geometry and returns ``(out, attrs)``. A VJP's ``create_graph`` branch is written
with the Tensor methods of its saved inputs and ``m``'s functions, so this module imports
nothing above the op table."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..ns import NP
from .table import register


# ---- geometry -----------------------------------------------------------------------------------
def out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def window_index(oh, ow, kh, kw, s, d):
    """Row and column indices of every window element, shaped to gather (OH, OW, KH, KW)."""
    ih = (np.arange(oh) * s[0])[:, None] + (np.arange(kh) * d[0])[None, :]
    iw = (np.arange(ow) * s[1])[:, None] + (np.arange(kw) * d[1])[None, :]
    return ih[:, None, :, None], iw[None, :, None, :]


def pad_np(x, p, value=0.0):
    if not (p[0] or p[1]):
        return x
    return np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=value)


def cols_np(xp, k, s, d, oh, ow):
    """(N, C, OH, OW, KH, KW) view of the windows of padded input ``xp`` (no copy)."""
    win = sliding_window_view(xp, ((k[0] - 1) * d[0] + 1, (k[1] - 1) * d[1] + 1), axis=(2, 3))
    return win[:, :, : (oh - 1) * s[0] + 1: s[0], : (ow - 1) * s[1] + 1: s[1], :: d[0], :: d[1]]


def _as_matrix(cols, groups):
    """(N, C, OH, OW, KH, KW) windows -> (N, G, OH*OW, Cg*KH*KW) columns."""
    n, c, oh, ow, kh, kw = cols.shape
    cg = c // groups
    g = cols.reshape(n, groups, cg, oh, ow, kh, kw).transpose(0, 1, 3, 4, 2, 5, 6)
    return g.reshape(n, groups, oh * ow, cg * kh * kw)


# ---- convolution --------------------------------------------------------------------------------
def conv_forward(m, x, w, b, attrs):
    """The convolution in namespace ``m`` (numpy, or the symbolic check's arrays) from the
    recorded attributes; ``x`` is 4-D."""
    s, p, d, groups, _ = attrs
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    oh, ow = out_size(h, kh, s[0], p[0], d[0]), out_size(wd, kw, s[1], p[1], d[1])
    if m is NP:
        cols = cols_np(pad_np(x, p), (kh, kw), s, d, oh, ow)
    else:
        xp = x
        if p[0] or p[1]:
            xp = m.zeros((n, c, h + 2 * p[0], wd + 2 * p[1]))
            xp[:, :, p[0]: p[0] + h, p[1]: p[1] + wd] = x
        ih, iw = window_index(oh, ow, kh, kw, s, d)
        cols = xp[:, :, ih, iw]
    mat = _as_matrix(cols, groups)  # (N, G, L, Cg*K)
    wm = w.reshape(groups, oc // groups, cg * kh * kw)
    if m is NP and groups == 1:  # one BLAS call over the whole batch
        out = (mat.reshape(-1, cg * kh * kw) @ wm[0].T).reshape(n, 1, oh * ow, oc)
    else:
        out = m.matmul(mat, np.swapaxes(wm, -1, -2))  # (N, G, L, OCg)
    out = out.transpose(0, 1, 3, 2).reshape(n, oc, oh, ow)
    if b is not None:
        out = out + b.reshape(1, oc, 1, 1)
    return out


def _conv_fwd(x, w, b, stride, padding, dilation, groups):
    """conv1d/conv2d of a batched input: ``stride``/``padding``/``dilation`` hold one value per
    spatial dim (1 or 2 of them)."""
    oned = x.ndim == 3
    if oned:
        stride, padding, dilation = (1, *stride), (0, *padding), (1, *dilation)
        x4, w4 = x[:, :, None, :], w[:, :, None, :]
    else:
        x4, w4 = x, w
    attrs = (tuple(stride), tuple(padding), tuple(dilation), groups, oned)
    out = conv_forward(NP, x4, w4, b, attrs)
    if oned:
        out = out[:, :, 0, :]
    return np.ascontiguousarray(out, dtype=x.dtype), attrs


def _conv_vjp(m, g, out, s, a, need):
    x, w, b = s
    stride, p, d, groups, oned = a
    if m is not NP:
        return _conv_vjp_graph(m, g, x, w, b, a, need)
    x4 = x.reshape(x.shape[0], x.shape[1], 1, -1) if oned else x
    w4 = w.reshape(w.shape[0], w.shape[1], 1, -1) if oned else w
    n, c, h, wd = x4.shape
    oc, cg, kh, kw = w4.shape
    g4 = np.asarray(g).reshape(n, oc, -1)
    oh, ow = out_size(h, kh, stride[0], p[0], d[0]), out_size(wd, kw, stride[1], p[1], d[1])
    gm = g4.reshape(n, groups, oc // groups, oh * ow)  # (N, G, OCg, L)
    db = g4.sum((0, 2)) if b is not None and need[2] else None
    dw = None
    if need[1]:
        cols = _as_matrix(cols_np(pad_np(x4, p), (kh, kw), stride, d, oh, ow), groups)
        # (G, OCg, N*L) @ (G, N*L, Cg*K): one matmul per group over the whole batch
        lhs = gm.transpose(1, 2, 0, 3).reshape(groups, oc // groups, -1)
        rhs = cols.transpose(1, 0, 2, 3).reshape(groups, -1, cols.shape[-1])
        dw = np.matmul(lhs, rhs).reshape(w.shape)
    dx = None
    if need[0]:
        wm = w4.reshape(groups, oc // groups, cg * kh * kw)
        dcols = np.matmul(np.swapaxes(wm, -1, -2), gm)  # (N, G, Cg*K, L)
        dcols = dcols.reshape(n, c, kh, kw, oh, ow)
        dxp = np.zeros((n, c, h + 2 * p[0], wd + 2 * p[1]), dtype=x.dtype)
        for i in range(kh):
            for j in range(kw):
                r0, c0 = i * d[0], j * d[1]
                dxp[:, :, r0: r0 + (oh - 1) * stride[0] + 1: stride[0],
                    c0: c0 + (ow - 1) * stride[1] + 1: stride[1]] += dcols[:, :, i, j]
        dx = dxp[:, :, p[0]: p[0] + h, p[1]: p[1] + wd].reshape(x.shape)
    return dx, dw, db


def _conv_vjp_graph(m, g, x, w, b, a, need):
    """The same grads from differentiable engine ops (``create_graph=True``)."""
    stride, p, d, groups, oned = a
    x4 = x.reshape(x.shape[0], x.shape[1], 1, -1) if oned else x
    w4 = w.reshape(w.shape[0], w.shape[1], 1, -1) if oned else w
    n, c, h, wd = x4.shape
    oc, cg, kh, kw = w4.shape
    oh, ow = out_size(h, kh, stride[0], p[0], d[0]), out_size(wd, kw, stride[1], p[1], d[1])
    gm = g.reshape(n, groups, oc // groups, oh * ow)
    ih, iw = window_index(oh, ow, kh, kw, stride, d)
    shape_p = (n, c, h + 2 * p[0], wd + 2 * p[1])
    inner = (slice(None), slice(None), slice(p[0], p[0] + h), slice(p[1], p[1] + wd))
    db = g.sum((0, 2, 3) if g.dim() == 4 else (0, 2)) if b is not None and need[2] else None
    dw = dx = None
    if need[1]:
        xp = m.index_scatter(x4, shape_p, inner) if (p[0] or p[1]) else x4
        cols = m.getitem(xp, (slice(None), slice(None), ih, iw))
        mat = cols.reshape(n, groups, c // groups, oh, ow, kh, kw).permute(
            0, 1, 3, 4, 2, 5, 6).reshape(n, groups, oh * ow, cg * kh * kw)
        dw = m.matmul(gm, mat).sum(0).reshape(*w.shape)
    if need[0]:
        wm = w4.reshape(groups, oc // groups, cg * kh * kw)
        dcols = m.matmul(wm.transpose(-1, -2), gm).reshape(n, c, kh, kw, oh, ow)
        dcols = dcols.permute(0, 1, 4, 5, 2, 3)
        full = (slice(None), slice(None), np.broadcast_to(ih, (oh, ow, kh, kw)),
                np.broadcast_to(iw, (oh, ow, kh, kw)))
        dxp = m.index_scatter(dcols, shape_p, full)
        dx = dxp[inner].reshape(*x.shape)
    return dx, dw, db


def _conv_sym(ns, args, attrs, out_shape):
    x, w, b = args
    oned = attrs[4]
    if oned:
        x, w = x[:, :, None, :], w[:, :, None, :]
    out = conv_forward(ns, x, w, b, attrs)
    return out[:, :, 0, :] if oned else out


register("convolution", "ConvolutionBackward0", _conv_fwd, _conv_vjp, save_inputs=True,
         doc="conv1d/conv2d (im2col + matmul per group)", sym=_conv_sym)


# ---- constant padding ---------------------------------------------------------------------------
def _pad_fwd(x, pad, value=0.0):
    """``pad`` holds non-negative (left, right) pairs from the last dim backwards."""
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    out = np.pad(x, widths, constant_values=value)
    inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape, strict=True))
    return out, (tuple(widths), inner, value)


def _pad_sym(ns, args, attrs, out_shape):
    _, inner, value = attrs
    out = ns.zeros(out_shape)
    if value:
        out[...] = ns.scalar(value)
    out[inner] = args[0]
    return out


register("constant_pad_nd", "ConstantPadNdBackward0", _pad_fwd,
         lambda m, g, out, s, a, need: (m.getitem(g, a[1]),),
         doc="constant padding of the last dims", sym=_pad_sym)


# ---- normalisation ------------------------------------------------------------------------------
def stats(x, dims):
    """Mean and biased variance of ``x`` over ``dims``, in float64, dims kept."""
    x64 = x.astype(np.float64)
    mean = x64.mean(dims, keepdims=True)
    var = ((x64 - mean) ** 2).mean(dims, keepdims=True)
    return mean, var


def _norm_fwd(x, weight, bias, dims, eps, ps, batch=True, mean=None, var=None):
    """(x - mean) / sqrt(var + eps) * weight + bias, the statistics over ``dims`` (or the given
    running ones, float64 shaped ``ps``); ``batch``: whether they are the input's own (so the
    backward differentiates through them)."""
    if mean is None:
        mean, var = stats(x, dims)
    invstd = 1.0 / np.sqrt(var + eps)
    mean32, inv32 = mean.astype(x.dtype), invstd.astype(x.dtype)
    y = (x - mean32) * inv32
    if weight is not None:
        y = y * weight.reshape(ps)
    if bias is not None:
        y = y + bias.reshape(ps)
    return y.astype(x.dtype, copy=False), (dims, eps, ps, batch, mean32, inv32)


def _norm_vjp(m, g, out, s, a, need):
    x, w, b = s
    dims, eps, ps, batch, mean, invstd = a
    if m is not NP:
        return _norm_vjp_graph(m, g, x, w, b, a, need)
    n = int(np.prod([x.shape[d] for d in dims], dtype=np.int64))
    xhat = (x - mean) * invstd
    dxhat = g if w is None else g * w.reshape(ps)
    dx = None
    if need[0]:
        if batch:
            s1 = dxhat.sum(dims, keepdims=True)
            s2 = (dxhat * xhat).sum(dims, keepdims=True)
            dx = (invstd / n) * (n * dxhat - s1 - xhat * s2)
        else:
            dx = dxhat * invstd
        dx = dx.astype(x.dtype, copy=False)
    dw = NP.sum_to(g * xhat, ps).reshape(w.shape) if w is not None and need[1] else None
    db = NP.sum_to(np.asarray(g), ps).reshape(b.shape) if b is not None and need[2] else None
    return dx, dw, db


def _norm_vjp_graph(m, g, x, w, b, a, need):
    """The same grads from differentiable engine ops (``create_graph=True``)."""
    dims, eps, ps, batch, mean, invstd = a
    if batch:
        mu = x.mean(dims, keepdim=True)
        d = x - mu
        inv = ((d * d).mean(dims, keepdim=True) + eps) ** -0.5
    else:
        d = x - mean
        inv = invstd
    xhat = d * inv
    dxhat = g if w is None else g * w.reshape(ps)
    dx = None
    if need[0]:
        if batch:
            n = float(np.prod([x.shape[k] for k in dims], dtype=np.int64))
            s1 = dxhat.sum(dims, keepdim=True)
            s2 = (dxhat * xhat).sum(dims, keepdim=True)
            dx = (inv / n) * (dxhat * n - s1 - xhat * s2)
        else:
            dx = dxhat * inv
    dw = m.sum_to(g * xhat, ps).reshape(w.shape) if w is not None and need[1] else None
    db = m.sum_to(g, ps).reshape(b.shape) if b is not None and need[2] else None
    return dx, dw, db


def _norm_sym(ns, args, attrs, out_shape):
    x, w, b = args
    dims, eps, ps, batch, mean, invstd = attrs
    if batch:
        n = ns.scalar(int(np.prod([x.shape[d] for d in dims], dtype=np.int64)))
        d = x - ns.sum(x, dims, True) / n
        y = d / ns.sqrt(ns.sum(d * d, dims, True) / n + ns.scalar(eps))
    else:  # running statistics: constants of the graph
        y = (x - ns.arr(mean)) * ns.arr(invstd)
    if w is not None:
        y = y * w.reshape(ps)
    if b is not None:
        y = y + b.reshape(ps)
    return y


register("native_batch_norm", "NativeBatchNormBackward0", _norm_fwd, _norm_vjp,
         save_inputs=True, doc="(x - mean) / sqrt(var + eps) * w + b per channel", sym=_norm_sym)
register("native_layer_norm", "NativeLayerNormBackward0", _norm_fwd, _norm_vjp,
         save_inputs=True, doc="(x - mean) / sqrt(var + eps) * w + b per row", sym=_norm_sym)
