"""The composite rows of ``torch.nn.functional`` (``engine.composite_rows``): ``conv3d`` and
``conv_transpose1d/2d`` (``convolution_nd``, ``convolution_transpose``: one
``ConvolutionBackward0`` node over (input, weight, bias) each) and the flash kernel of
``scaled_dot_product_attention`` (``sdpa_flash``). The public functions (``engine.nn.conv_more``,
``engine.nn.attention``) validate and run these rows; the rows live here, below ``engine.nn``,
so ``import engine`` registers them without loading torch.nn.

The convolutions are written once for any number of spatial dims, as im2col + matmul: a
convolution gathers the (dilated, strided) windows of the zero-padded input into columns and
multiplies them by the weight per group; a transposed convolution multiplies each input column
by the weight and adds the products back at the output positions they cover (col2im). Their
numpy forwards also serve the symbolic check (they run on object arrays); the VJPs
differentiate the same math written with recorded engine ops."""

from __future__ import annotations

import numpy as np

from . import composite_rows
from .dropout import dropout
from .functions import matmul, softmax, zeros
from .ops import OPS
from .ops.nn import softmax_sym
from .tensor import _result, _wrap

_PAD = OPS["constant_pad_nd"]


def _pad(x, widths):
    """Zero padding of ``x``'s last dims by (left, right) ``widths``, recorded."""
    out, attrs = _PAD.fwd(x._data, widths, 0)
    return _result(_PAD, out, (x,), attrs)


# ---- geometry -------------------------------------------------------------------------------
def window_index(spatial, k, s, d, out):
    """(L, K) flat positions, in the padded input of shape ``spatial``, of every window tap."""
    strides = np.cumprod((1,) + tuple(reversed(spatial[1:])))[::-1]
    nd = len(spatial)
    flat = np.zeros((1,) * (2 * nd), dtype=np.int64)
    for i in range(nd):
        pos = (np.arange(out[i]) * s[i])[:, None] + (np.arange(k[i]) * d[i])[None, :]
        shape = [1] * (2 * nd)
        shape[i], shape[nd + i] = out[i], k[i]
        flat = flat + (pos * strides[i]).reshape(shape)
    return flat.reshape(int(np.prod(out)), int(np.prod(k)))


def scatter_index(spatial, k, s, p, d, out):
    """For a transposed conv: (L_in * K,) flat output positions of every (input, tap) pair and
    the mask of those inside the output."""
    nd = len(spatial)
    strides = np.cumprod((1,) + tuple(reversed(out[1:])))[::-1]
    flat = np.zeros((1,) * (2 * nd), dtype=np.int64)
    inside = np.ones((1,) * (2 * nd), dtype=bool)
    for i in range(nd):
        pos = (np.arange(spatial[i]) * s[i])[:, None] + (np.arange(k[i]) * d[i])[None, :] - p[i]
        shape = [1] * (2 * nd)
        shape[i], shape[nd + i] = spatial[i], k[i]
        flat = flat + (pos * strides[i]).reshape(shape)
        inside = inside & ((pos >= 0) & (pos < out[i])).reshape(shape)
    # order (L_in, K) as the columns are laid out
    return flat.reshape(-1), np.broadcast_to(inside, flat.shape).reshape(-1)


# ---- the math on arrays (numpy floats or the symbolic check's object arrays) ----------------
def conv_nd_array(matmul, x, w, b, attrs):
    """The convolution; with a 7th attribute "cols", the (N, G, L, Cg*K) columns instead."""
    s, p, d, groups, idx, out = attrs[:6]
    n, c = x.shape[:2]
    oc, cg = w.shape[:2]
    nd = x.ndim - 2
    if any(p):
        xp = np.zeros((n, c) + tuple(x.shape[2 + i] + 2 * p[i] for i in range(nd)),
                      dtype=x.dtype)
        xp[(slice(None), slice(None)) + tuple(slice(p[i], p[i] + x.shape[2 + i])
                                             for i in range(nd))] = x
    else:
        xp = x
    cols = xp.reshape(n, c, int(np.prod(xp.shape[2:])))[:, :, idx]  # (N, C, L, K)
    L, K = idx.shape
    cols = cols.reshape(n, groups, cg, L, K).transpose(0, 1, 3, 2, 4).reshape(n, groups, L,
                                                                               cg * K)
    if len(attrs) > 6:
        return cols
    wm = w.reshape(groups, oc // groups, cg * K)
    y = matmul(cols, np.swapaxes(wm, -1, -2))  # (N, G, L, OCg)
    y = y.transpose(0, 1, 3, 2).reshape((n, oc) + tuple(out))
    if b is not None:
        y = y + b.reshape((1, oc) + (1,) * nd)
    return y


def conv_transpose_array(matmul, x, w, b, attrs):
    groups, flat, inside, out = attrs[3:]
    n, cin = x.shape[:2]
    ocg = w.shape[1]
    nd = x.ndim - 2
    K = int(np.prod(w.shape[2:]))
    L = int(np.prod(x.shape[2:]))
    xm = x.reshape(n, groups, cin // groups, L).transpose(0, 1, 3, 2)  # (N, G, L, Cg)
    wm = w.reshape(groups, cin // groups, ocg * K)
    vals = matmul(xm, wm).reshape(n, groups, L, ocg, K).transpose(0, 1, 3, 2, 4)
    vals = vals.reshape(n, groups * ocg, L * K)
    size = int(np.prod(out))
    if vals.dtype == object:  # the symbolic check's expressions
        y = np.zeros((n, groups * ocg, size), dtype=object)
        np.add.at(y, (slice(None), slice(None), flat[inside]), vals[:, :, inside])
    else:  # col2im: one strided slice add per kernel tap, then crop the padding
        s, p, d = attrs[:3]
        spatial, k = tuple(x.shape[2:]), tuple(w.shape[2:])
        full = tuple(max((spatial[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1, p[i] + out[i])
                     for i in range(nd))
        y = np.zeros((n, groups * ocg) + full, dtype=vals.dtype)
        taps = vals.reshape((n, groups * ocg) + spatial + (K,))
        for t, at in enumerate(np.ndindex(*k)):
            part = tuple(slice(at[i] * d[i], at[i] * d[i] + (spatial[i] - 1) * s[i] + 1, s[i])
                         for i in range(nd))
            y[(slice(None), slice(None)) + part] += taps[..., t]
        crop = tuple(slice(p[i], p[i] + out[i]) for i in range(nd))
        y = y[(slice(None), slice(None)) + crop].reshape(n, groups * ocg, size)
    y = y.reshape((n, groups * ocg) + tuple(out))
    if b is not None:
        y = y + b.reshape((1, groups * ocg) + (1,) * nd)
    return y


# ---- the same math with recorded engine ops (for the VJP) ----------------------------------
def _conv_nd_graph(x, w, b, attrs):
    s, p, d, groups, idx, out = attrs
    n, c = x.shape[:2]
    oc, cg = w.shape[:2]
    nd = x.dim() - 2
    widths = []
    for i in reversed(range(nd)):
        widths += [p[i], p[i]]
    xp = _pad(x, widths) if any(p) else x
    L, K = idx.shape
    cols = xp.reshape(n, c, int(np.prod(xp.shape[2:])))[:, :, _wrap(idx)]
    cols = cols.reshape(n, groups, cg, L, K).permute(0, 1, 3, 2, 4).reshape(n, groups, L, cg * K)
    wm = w.reshape(groups, oc // groups, cg * K)
    y = matmul(cols, wm.transpose(-1, -2))
    y = y.permute(0, 1, 3, 2).reshape((n, oc) + tuple(out))
    if b is not None:
        y = y + b.reshape((1, oc) + (1,) * nd)
    return y


def _conv_transpose_graph(x, w, b, attrs):
    groups, flat, inside, out = attrs[3:]
    n, cin = x.shape[:2]
    ocg = w.shape[1]
    nd = x.dim() - 2
    K = int(np.prod(w.shape[2:]))
    L = int(np.prod(x.shape[2:]))
    xm = x.reshape(n, groups, cin // groups, L).permute(0, 1, 3, 2)
    wm = w.reshape(groups, cin // groups, ocg * K)
    vals = matmul(xm, wm).reshape(n, groups, L, ocg, K).permute(0, 1, 3, 2, 4)
    vals = vals.reshape(n, groups * ocg, L * K)
    keep = np.flatnonzero(inside)
    y = zeros(n, groups * ocg, int(np.prod(out)), dtype=x.dtype)
    y = y.index_add(2, _wrap(flat[keep]), vals[:, :, _wrap(keep)])
    y = y.reshape((n, groups * ocg) + tuple(out))
    if b is not None:
        y = y + b.reshape((1, groups * ocg) + (1,) * nd)
    return y


# ---- the plain backward in numpy (the same grads, without building a graph) -----------------
def _conv_nd_vjp(g, saved, attrs, need):
    x, w, b = saved
    s, p, d, groups, idx, out = attrs
    n, c = x.shape[:2]
    oc, cg = w.shape[:2]
    nd = x.ndim - 2
    L, K = idx.shape
    gy = g.reshape(n, groups, oc // groups, L)
    db = g.sum((0,) + tuple(range(2, g.ndim))) if b is not None and need[2] else None
    wm = w.reshape(groups, oc // groups, cg * K)
    dw = dx = None
    if need[1]:
        cols = conv_nd_array(np.matmul, x, w, None, attrs + ("cols",))
        dw = np.einsum("ngol,nglk->gok", gy, cols, optimize=True).reshape(w.shape)
    if need[0]:
        dcols = np.matmul(np.swapaxes(gy, -1, -2), wm)  # (N, G, L, Cg*K)
        dcols = dcols.reshape(n, groups, L, cg, K).transpose(0, 1, 3, 2, 4).reshape(n * c, L * K)
        padded = tuple(x.shape[2 + i] + 2 * p[i] for i in range(nd))
        size = int(np.prod(padded))
        where = (np.arange(n * c)[:, None] * size + idx.reshape(1, -1)).reshape(-1)
        dxp = np.bincount(where, dcols.reshape(-1), n * c * size).reshape((n, c) + padded)
        inner = (slice(None), slice(None)) + tuple(slice(p[i], p[i] + x.shape[2 + i])
                                                   for i in range(nd))
        dx = dxp[inner].astype(x.dtype)
    return dx, dw, db


def _conv_transpose_vjp(g, saved, attrs, need):
    x, w, b = saved
    groups, flat, inside, out = attrs[3:]
    n, cin = x.shape[:2]
    ocg = w.shape[1]
    K = int(np.prod(w.shape[2:]))
    L = int(np.prod(x.shape[2:]))
    db = g.sum((0,) + tuple(range(2, g.ndim))) if b is not None and need[2] else None
    gv = g.reshape(n, groups * ocg, int(np.prod(out)))[:, :, np.where(inside, flat, 0)] * inside
    gv = gv.reshape(n, groups, ocg, L, K).transpose(0, 1, 3, 2, 4).reshape(n, groups, L,
                                                                           ocg * K)
    xm = x.reshape(n, groups, cin // groups, L)  # (N, G, Cg, L)
    wm = w.reshape(groups, cin // groups, ocg * K)
    dx = np.matmul(gv, np.swapaxes(wm, -1, -2)).transpose(0, 1, 3, 2).reshape(x.shape) \
        if need[0] else None
    dw = np.einsum("ngcl,nglk->gck", xm, gv, optimize=True).reshape(w.shape) \
        if need[1] else None
    return dx, dw, db


def _numpy_forward(array_fn):
    def fwd(x, w, b, attrs):
        return np.ascontiguousarray(array_fn(np.matmul, x, w, b, attrs), dtype=x.dtype), attrs

    return fwd


def _sym(array_fn):
    def sym(ns, args, attrs, out_shape):
        x, w, b = args
        return array_fn(ns.matmul, ns.arr(x), ns.arr(w), None if b is None else ns.arr(b), attrs)

    return sym


CONV_ND = composite_rows.add_row("convolution_nd", "ConvolutionBackward0", _conv_nd_graph,
                                 "conv3d (im2col + matmul per group)", _conv_nd_vjp,
                                 _numpy_forward(conv_nd_array), _sym(conv_nd_array))
CONV_T = composite_rows.add_row("convolution_transpose", "ConvolutionBackward0",
                                _conv_transpose_graph,
                                "conv_transpose1d/2d (matmul per group + col2im)",
                                _conv_transpose_vjp, _numpy_forward(conv_transpose_array),
                                _sym(conv_transpose_array))


# ---- scaled dot-product attention, flash kernel ---------------------------------------------
def attend(q, k, v, a):
    """The math composition on engine Tensors (recorded when grad mode is on)."""
    bias, scale, dropout_p, groups = a
    if groups > 1:
        k = k.repeat_interleave(groups, -3)
        v = v.repeat_interleave(groups, -3)
    scores = matmul(q, k.transpose(-2, -1)) * scale
    dead = None
    if bias is not None:
        dead = np.all(np.isneginf(bias._data), -1, keepdims=True)
        if dead.any():  # a fully masked row: PyTorch's safe softmax gives 0 (and no nan grads)
            bias = bias.masked_fill(_wrap(dead), 0.0)
        else:
            dead = None
        scores = scores + bias
    w = softmax(scores, -1)
    if dead is not None:
        w = w.masked_fill(_wrap(dead), 0.0)
    if dropout_p > 0:
        w = dropout(w, dropout_p, training=True)
    return matmul(w, v)


def _flash(q, k, v, a):
    return attend(q, k, v, a)


def _flash_sym(ns, args, attrs, out_shape):
    q, k, v = args
    bias, scale, _, groups = attrs
    if groups > 1:
        k = np.repeat(k, groups, axis=-3)
        v = np.repeat(v, groups, axis=-3)
    scores = ns.matmul(q, np.swapaxes(k, -1, -2)) * ns.scalar(scale)
    dead = None
    if bias is not None:
        b = np.asarray(bias._data, dtype=np.float64)
        dead = np.all(np.isneginf(b), -1, keepdims=True)
        scores = scores + ns.arr(np.where(dead, 0.0, b))
    w = softmax_sym(ns, scores, -1)
    if dead is not None and dead.any():  # a fully masked row: 0, as PyTorch's safe softmax
        w = np.where(np.broadcast_to(dead, w.shape), ns.scalar(0), w)
    return ns.matmul(w, v)


FLASH = composite_rows.add_row("sdpa_flash", "ScaledDotProductFlashAttentionForCpuBackward0",
                               _flash, "F.scaled_dot_product_attention, flash kernel",
                               sym=_flash_sym)
