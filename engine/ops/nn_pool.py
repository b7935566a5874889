"""The pooling rows: ``max_pool2d`` (MaxPool2DWithIndicesBackward0), ``avg_pool2d``,
``adaptive_avg_pool2d`` and ``max_unpool2d``, on (N, C, H, W) arrays (the public functions
view 1-d and unbatched inputs as that). A forward takes the input and the geometry its public
function validated — ``geometry = (k, s, p, d, oh, ow, extra)``: kernel, stride, padding,
dilation, output size and the right/bottom padding that keeps every ceil-mode window inside —
and returns ``(out, attrs)``."""

from __future__ import annotations

import numpy as np

from ..ns import NP
from .nn_conv import cols_np, window_index
from .table import register


def _padded(x, p, extra, value):
    if not (p[0] or p[1] or extra[0] or extra[1]):
        return x
    return np.pad(x, ((0, 0), (0, 0), (p[0], extra[0]), (p[1], extra[1])), constant_values=value)


def _add_back(shape, parts, k, s, d, oh, ow, dtype):
    """Sum per-offset grads (KH, KW indexed) into an array of the padded input's ``shape``."""
    out = np.zeros(shape, dtype=dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            r0, c0 = i * d[0], j * d[1]
            out[:, :, r0: r0 + (oh - 1) * s[0] + 1: s[0],
                c0: c0 + (ow - 1) * s[1] + 1: s[1]] += parts(i, j)
    return out


# ---- max pool ---------------------------------------------------------------------------------
def winner_index(shape, geo):
    """Index arrays (batch, channel, row, column) of each window's winner in the input."""
    arg, k, s, p, d, _ = geo
    n, c = shape[:2]
    oh, ow = arg.shape[-2:]
    ki, kj = np.divmod(arg, k[1])
    rows = np.arange(oh)[:, None] * s[0] + ki * d[0] - p[0]
    cols = np.arange(ow)[None, :] * s[1] + kj * d[1] - p[1]
    return (np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols)


def _window_max(win, k):
    """Max and first arg-max over the last two axes of the window view, one kernel offset at a
    time (no copy of the windows); None where a NaN is present (numpy's argmax handles it)."""
    out = win[..., 0, 0].copy()
    for i in range(k[0]):
        for j in range(k[1]):
            if i or j:
                np.maximum(out, win[..., i, j], out=out)
    if out.dtype.kind == "f" and np.isnan(out).any():
        return None
    arg = np.full(out.shape, -1, dtype=np.int64)
    for i in range(k[0]):
        for j in range(k[1]):
            hit = (win[..., i, j] == out) & (arg < 0)
            arg[hit] = i * k[1] + j
    return out, arg


def _max_pool_fwd(x, geometry):
    k, s, p, d, oh, ow, extra = geometry
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    win = cols_np(_padded(x, p, extra, fill), k, s, d, oh, ow)
    found = _window_max(win, k)
    if found is None:  # NaN wins, as in PyTorch: numpy's argmax picks the first NaN
        n, c = x.shape[:2]
        flat = win.reshape(n, c, oh, ow, k[0] * k[1])
        arg = flat.argmax(-1)
        out = np.take_along_axis(flat, arg[..., None], -1)[..., 0]
    else:
        out, arg = found
    return out, (x.shape, (arg, k, s, p, d, extra))


def _max_pool_vjp(m, g, out, s, a, need):
    shape, geo = a  # geo: each window's winning offset and the pool's geometry
    if m is NP:
        # one strided slice add per kernel offset (np.add.at on the indices is 10x slower)
        arg, k, st, p, d, extra = geo
        n, c, h, w = shape
        oh, ow = g.shape[-2:]
        dxp = _add_back((n, c, h + p[0] + extra[0], w + p[1] + extra[1]),
                        lambda i, j: np.where(arg == i * k[1] + j, g, 0), k, st, d, oh, ow,
                        g.dtype)
        return (dxp[:, :, p[0]: p[0] + h, p[1]: p[1] + w],)
    return (m.index_scatter(g, shape, winner_index(shape, geo)),)


register("max_pool2d", "MaxPool2DWithIndicesBackward0", _max_pool_fwd, _max_pool_vjp,
         doc="max over each window (the grad goes to the first maximum)",
         # the recorded winners: locally the pool is this fixed selection
         sym=lambda ns, args, attrs, out_shape: args[0][winner_index(attrs[0], attrs[1])])


# ---- average pool -----------------------------------------------------------------------------
def _divisors(h, w, k, s, p, oh, ow, count_include_pad, divisor_override):
    if divisor_override:
        return np.full((oh, ow), float(divisor_override))

    def axis(size, kk, ss, pp, o):
        start = np.arange(o) * ss - pp
        end = np.minimum(start + kk, size + pp)
        full = end - start
        return full, np.minimum(end, size) - np.maximum(start, 0)

    fh, vh = axis(h, k[0], s[0], p[0], oh)
    fw, vw = axis(w, k[1], s[1], p[1], ow)
    return (fh[:, None] * fw[None, :]) if count_include_pad else (vh[:, None] * vw[None, :])


def _avg_pool_fwd(x, geometry, count_include_pad=True, divisor_override=None):
    k, s, p, d, oh, ow, extra = geometry
    win = cols_np(_padded(x, p, extra, 0), k, s, d, oh, ow)
    div = _divisors(x.shape[2], x.shape[3], k, s, p, oh, ow, count_include_pad,
                    divisor_override).astype(x.dtype)
    out = (win.sum((-1, -2)) / div).astype(x.dtype)
    return out, (x.shape, k, s, p, d, extra, div)


def _avg_pool_vjp(m, g, out, s, a, need):
    shape, k, st, p, d, extra, div = a
    n, c, h, w = shape
    if m is not NP:
        oh, ow = m.shape(g)[-2:]
        ih, iw = window_index(oh, ow, k[0], k[1], st, d)
        gd = (g / div).reshape(n, c, oh, ow, 1, 1).expand(n, c, oh, ow, k[0], k[1])
        shape_p = (n, c, h + p[0] + extra[0], w + p[1] + extra[1])
        full = (slice(None), slice(None), np.broadcast_to(ih, (oh, ow, *k)),
                np.broadcast_to(iw, (oh, ow, *k)))
        dxp = m.index_scatter(gd, shape_p, full)
        return (dxp[:, :, p[0]: p[0] + h, p[1]: p[1] + w],)
    oh, ow = g.shape[-2:]
    gd = g / div
    dxp = _add_back((n, c, h + p[0] + extra[0], w + p[1] + extra[1]), lambda i, j: gd,
                    k, st, d, oh, ow, g.dtype)
    return (dxp[:, :, p[0]: p[0] + h, p[1]: p[1] + w],)


def _avg_pool_sym(ns, args, attrs, out_shape):
    _, k, st, p, d, extra, div = attrs
    x = args[0]
    n, c, h, w = x.shape
    xp = ns.zeros((n, c, h + p[0] + extra[0], w + p[1] + extra[1]))
    xp[:, :, p[0]: p[0] + h, p[1]: p[1] + w] = x
    ih, iw = window_index(out_shape[2], out_shape[3], k[0], k[1], st, d)
    return ns.sum(xp[:, :, ih, iw], (4, 5), False) / ns.arr(div)


register("avg_pool2d", "AvgPool2DBackward0", _avg_pool_fwd, _avg_pool_vjp,
         doc="mean over each window", sym=_avg_pool_sym)


# ---- adaptive average pool --------------------------------------------------------------------
def adaptive_ranges(size, out):
    """PyTorch's adaptive windows: [floor(i * size / out), ceil((i + 1) * size / out))."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def _adaptive_fwd(x, output_size):
    oh, ow = output_size
    rh, rw = adaptive_ranges(x.shape[2], oh), adaptive_ranges(x.shape[3], ow)
    out = np.empty((*x.shape[:2], oh, ow), dtype=x.dtype)
    for i, (h0, h1) in enumerate(rh):
        for j, (w0, w1) in enumerate(rw):
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean((2, 3))
    return out, (x.shape, tuple(rh), tuple(rw))


def _adaptive_vjp(m, g, out, s, a, need):
    shape, rh, rw = a
    if m is NP:
        z = np.zeros(shape, dtype=g.dtype)
        for i, (h0, h1) in enumerate(rh):
            for j, (w0, w1) in enumerate(rw):
                z[:, :, h0:h1, w0:w1] += g[:, :, i: i + 1, j: j + 1] / ((h1 - h0) * (w1 - w0))
        return (z,)
    total = None
    for i, (h0, h1) in enumerate(rh):
        for j, (w0, w1) in enumerate(rw):
            part = (g[:, :, i: i + 1, j: j + 1] / float((h1 - h0) * (w1 - w0))).expand(
                shape[0], shape[1], h1 - h0, w1 - w0)
            part = m.index_scatter(part, shape, (slice(None), slice(None), slice(h0, h1),
                                                slice(w0, w1)))
            total = part if total is None else total + part
    return (total,)


def _adaptive_sym(ns, args, attrs, out_shape):
    _, rh, rw = attrs
    x = args[0]
    out = ns.zeros(out_shape)
    for i, (h0, h1) in enumerate(rh):
        for j, (w0, w1) in enumerate(rw):
            cell = ns.sum(x[:, :, h0:h1, w0:w1], (2, 3), False)
            out[:, :, i, j] = cell / ns.scalar((h1 - h0) * (w1 - w0))
    return out


register("adaptive_avg_pool2d", "AdaptiveAvgPool2DBackward0", _adaptive_fwd, _adaptive_vjp,
         doc="mean over PyTorch's adaptive windows", sym=_adaptive_sym)


# ---- max unpool -------------------------------------------------------------------------------
def _unpool_fwd(x, indices, output_size):
    """Each value of ``x`` at its (validated) flat index within its (H, W) output plane."""
    oh, ow = output_size
    planes = int(np.prod(x.shape[:-2]))
    n_in = x.shape[-2] * x.shape[-1]
    flat_i = indices.reshape(planes, n_in)
    out = np.zeros((planes, oh * ow), dtype=x.dtype)
    rows = np.arange(planes)[:, None]
    out[rows, flat_i] = x.reshape(planes, n_in)  # a repeated index holds one value: any write
    return out.reshape(x.shape[:-2] + (oh, ow)), (x.shape, rows, flat_i)


def _unpool_vjp(m, g, out, s, a, need):
    in_shape, rows, cols = a  # every input reads its index: repeated indices all get the grad
    planes = rows.shape[0]
    flat = m.reshape(g, (planes, int(np.prod(m.shape(g))) // max(planes, 1)))
    return (m.reshape(m.getitem(flat, (rows, cols)), in_shape),)


def _unpool_sym(ns, args, attrs, out_shape):
    _, rows, cols = attrs
    x = ns.arr(args[0]).reshape(rows.shape[0], -1)
    out = ns.zeros((rows.shape[0], int(np.prod(out_shape)) // max(rows.shape[0], 1)))
    out[rows, cols] = x
    return out.reshape(out_shape)


register("max_unpool2d", "MaxUnpool2DBackward0", _unpool_fwd, _unpool_vjp,
         doc="F.max_unpool2d(a, indices)", sym=_unpool_sym)
