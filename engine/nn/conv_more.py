"""``F.conv3d`` and ``F.conv_transpose1d/2d`` (with ``nn.Conv3d``, ``nn.ConvTranspose1d/2d``),
each one ``ConvolutionBackward0`` node over (input, weight, bias) as PyTorch records it.

Both are written once for any number of spatial dims, as im2col + matmul: a convolution gathers
the (dilated, strided) windows of the zero-padded input into columns and multiplies them by the
weight per group; a transposed convolution multiplies each input column by the weight and adds
the products back at the output positions they cover (col2im). The numpy forward below also
serves the symbolic check (it runs on object arrays); the VJP differentiates the same math
written with recorded engine ops (``engine.composite_rows``)."""

from __future__ import annotations


import numpy as np

from .. import composite_rows
from ..tensor import Tensor, _wrap
from .conv import _ConvNd, _fmt, _tname, _tuple, resolve_padding


# ---- geometry -------------------------------------------------------------------------------
def _window_index(spatial, k, s, d, out):
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


def _scatter_index(spatial, k, s, p, d, out):
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
    from ..functions import matmul
    from .conv import pad

    s, p, d, groups, idx, out = attrs
    n, c = x.shape[:2]
    oc, cg = w.shape[:2]
    nd = x.dim() - 2
    widths = []
    for i in reversed(range(nd)):
        widths += [p[i], p[i]]
    xp = pad(x, widths) if any(p) else x
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
    from ..functions import matmul, zeros

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


_CONV_ND = composite_rows.add_row("convolution_nd", "ConvolutionBackward0", _conv_nd_graph,
                                  "conv3d (im2col + matmul per group)", _conv_nd_vjp)
_CONV_T = composite_rows.add_row("convolution_transpose", "ConvolutionBackward0",
                                 _conv_transpose_graph,
                                 "conv_transpose1d/2d (matmul per group + col2im)",
                                 _conv_transpose_vjp)


def _record(op, fn, input, weight, bias, attrs):
    x, w = input._data, weight._data
    y = fn(np.matmul, x, w, None if bias is None else bias._data, attrs)
    from ..tensor import _result

    return _result(op, np.ascontiguousarray(y, dtype=x.dtype), (input, weight, bias), attrs)


# ---- checks shared by both ------------------------------------------------------------------
def _check_common(input, weight, bias, nd, name, groups, transposed):
    x, w = input._data, weight._data
    if w.ndim != nd + 2:
        raise RuntimeError(f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional "
                           f"weight {_fmt(w.shape)}, but got {x.ndim}-dimensional input of size "
                           f"{_fmt(x.shape)} instead")
    if w.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{_fmt(w.shape)}] instead"
                           if transposed else
                           f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {_fmt(w.shape)} instead")
    want_c = w.shape[0] if transposed else w.shape[1] * groups
    if x.shape[1] != want_c:
        head = "Given transposed=1, weight" if transposed else f"Given groups={groups}, weight"
        raise RuntimeError(f"{head} of size {_fmt(w.shape)}, expected input{_fmt(x.shape)} to "
                           f"have {want_c} channels, but got {x.shape[1]} channels instead")
    oc = w.shape[1] * groups if transposed else w.shape[0]
    if bias is not None and tuple(bias.shape) != (oc,):
        head = "Given transposed=1, weight" if transposed else "Given weight"
        raise RuntimeError(f"{head} of size {_fmt(w.shape)}, expected bias to be 1-dimensional "
                           f"with {oc} elements, but got bias of size {_fmt(bias.shape)} "
                           "instead")
    if x.dtype != w.dtype:
        if transposed:
            names = {"float64": "Double", "float32": "Float"}
            raise RuntimeError(f"expected scalar type {names.get(str(x.dtype), x.dtype)} but "
                               f"found {names.get(str(w.dtype), w.dtype)}")
        raise RuntimeError(f"Input type ({_tname(x)}) and weight type ({_tname(w)}) should be "
                           "the same")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """3-D convolution (cross-correlation) over (N, C, D, H, W) or (C, D, H, W) input."""
    if input.dim() not in (4, 5):
        raise RuntimeError("Expected 4D (unbatched) or 5D (batched) input to conv3d, but got "
                           f"input of size: {_fmt(input.shape)}")
    if input.dim() == 4:
        return conv3d(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                      groups).squeeze(0)
    _check_common(input, weight, bias, 3, "conv3d", groups, False)
    x, w = input._data, weight._data
    k = tuple(w.shape[2:])
    s, d = _tuple(stride, 3), _tuple(dilation, 3)
    input, p = resolve_padding(input, padding, k, s, d, 3, stacklevel=3)
    x = input._data
    padded = [x.shape[2 + i] + 2 * p[i] for i in range(3)]
    eff = [d[i] * (k[i] - 1) + 1 for i in range(3)]
    if any(a < e for a, e in zip(padded, eff, strict=True)):
        raise RuntimeError("Calculated padded input size per channel: ("
                           + " x ".join(map(str, padded)) + "). Kernel size: ("
                           + " x ".join(map(str, eff)) + "). Kernel size can't be greater than "
                           "actual input size")
    out = tuple((padded[i] - eff[i]) // s[i] + 1 for i in range(3))
    idx = _window_index(padded, k, s, d, out)
    return _record(_CONV_ND, conv_nd_array, input, weight, bias, (s, p, d, groups, idx, out))


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd):
    name = f"conv_transpose{nd}d"
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {_fmt(input.shape)}")
    if input.dim() == nd + 1:
        return _conv_transpose(input.unsqueeze(0), weight, bias, stride, padding, output_padding,
                               groups, dilation, nd).squeeze(0)
    _check_common(input, weight, bias, nd, name, groups, True)
    s, p, d = _tuple(stride, nd), _tuple(padding, nd), _tuple(dilation, nd)
    op = _tuple(output_padding, nd)
    if any(o >= max(si, di) for o, si, di in zip(op, s, d, strict=True)):
        # a 1-d convolution runs as a 2-d one of height 1 (output padding 0, stride 1)
        o2, s2, d2 = ((0, *op), (1, *s), (1, *d)) if nd == 1 else (op, s, d)
        raise RuntimeError("output padding must be smaller than either stride or dilation, but "
                           f"got output_padding_height: {o2[-2]} output_padding_width: {o2[-1]} "
                           f"stride_height: {s2[-2]} stride_width: {s2[-1]} dilation_height: "
                           f"{d2[-2]} dilation_width: {d2[-1]}")
    x, w = input._data, weight._data
    k = tuple(w.shape[2:])
    spatial = tuple(x.shape[2:])
    out = tuple((spatial[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1
                for i in range(nd))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, spatial))}). "
                           f"Calculated output size per channel: ({' x '.join(map(str, out))}). "
                           "Output size is too small")
    flat, inside = _scatter_index(spatial, k, s, p, d, out)
    return _record(_CONV_T, conv_transpose_array, input, weight, bias,
                   (s, p, d, groups, flat, inside, out))


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """Transposed 1-D convolution over (N, C, L) or (C, L) input."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """Transposed 2-D convolution over (N, C, H, W) or (C, H, W) input."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2)


# ---- modules ----------------------------------------------------------------------------------
class Conv3d(_ConvNd):
    """3-D convolution layer; weight (out, in/groups, kd, kh, kw) ~ kaiming_uniform(a=sqrt(5))."""

    _nd = 3

    def forward(self, input: Tensor) -> Tensor:
        if self.padding_mode != "zeros":
            raise NotImplementedError(f"padding_mode={self.padding_mode!r}: stepgrad's engine "
                                      "convolves with zero padding only")
        return conv3d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                      self.groups)


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f"{type(self).__name__}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)
        self.output_padding = _tuple(output_padding, self._nd)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        if self.output_padding != (0,) * self._nd:
            # PyTorch's order: ..., dilation, output_padding, groups, bias
            at = next((s.find(key) for key in (", groups=", ", bias=", ", padding_mode=")
                       if key in s), len(s))
            s = s[:at] + f", output_padding={self.output_padding}" + s[at:]
        return s

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        if output_size is not None:
            raise NotImplementedError("ConvTranspose forward(output_size=) is not supported by "
                                      "this engine; pass output_padding")
        fn = conv_transpose1d if self._nd == 1 else conv_transpose2d
        return fn(input, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                  self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution layer; weight (in, out/groups, k)."""

    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution layer; weight (in, out/groups, kh, kw)."""

    _nd = 2
