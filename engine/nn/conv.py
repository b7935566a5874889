"""Convolutions (``F.conv1d``/``conv2d``, ``nn.Conv1d``/``Conv2d``) and ``F.pad``'s constant mode.

A convolution is one op row, ``ConvolutionBackward0`` over (input, weight, bias), as PyTorch
records it. The forward is im2col + matmul: the (dilated, strided) windows of the zero-padded
input are gathered into columns and multiplied by the weight viewed as a matrix per group.
Conv1d runs as a conv2d of height 1. The plain backward scatters the columns' grad back one
kernel offset at a time (a strided slice add per offset); under ``create_graph=True`` the same
math is written with differentiable engine ops (gather, ``index_scatter``, matmul).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._dtype import _default, to_numpy_dtype
from ..ns import NP
from ..ops import register
from ..tensor import Tensor, _result, _wrap
from ..tensor_ns import T
from . import init
from .module import Module, Parameter


# ---- geometry --------------------------------------------------------------------------------
def _tuple(v, n):
    if isinstance(v, int | np.integer):
        return (int(v),) * n
    v = tuple(int(x) for x in v)
    if len(v) == 1 and n > 1:
        return v * n
    return v


def _out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def window_index(oh, ow, kh, kw, s, d):
    """Row and column indices of every window element, shaped to gather (OH, OW, KH, KW)."""
    ih = (np.arange(oh) * s[0])[:, None] + (np.arange(kh) * d[0])[None, :]
    iw = (np.arange(ow) * s[1])[:, None] + (np.arange(kw) * d[1])[None, :]
    return ih[:, None, :, None], iw[None, :, None, :]


def _pad_np(x, p, value=0.0):
    if not (p[0] or p[1]):
        return x
    return np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=value)


def _cols_np(xp, k, s, d, oh, ow):
    """(N, C, OH, OW, KH, KW) view of the windows of padded input ``xp`` (no copy)."""
    win = sliding_window_view(xp, ((k[0] - 1) * d[0] + 1, (k[1] - 1) * d[1] + 1), axis=(2, 3))
    return win[:, :, : (oh - 1) * s[0] + 1: s[0], : (ow - 1) * s[1] + 1: s[1], :: d[0], :: d[1]]


def _as_matrix(cols, groups):
    """(N, C, OH, OW, KH, KW) windows -> (N, G, OH*OW, Cg*KH*KW) columns."""
    n, c, oh, ow, kh, kw = cols.shape
    cg = c // groups
    g = cols.reshape(n, groups, cg, oh, ow, kh, kw).transpose(0, 1, 3, 4, 2, 5, 6)
    return g.reshape(n, groups, oh * ow, cg * kh * kw)


def conv_forward(m, x, w, b, attrs):
    """The convolution in namespace ``m`` (numpy, or the symbolic check's arrays) from the
    recorded attributes; ``x`` is 4-D."""
    s, p, d, groups, _ = attrs
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    oh, ow = _out_size(h, kh, s[0], p[0], d[0]), _out_size(wd, kw, s[1], p[1], d[1])
    if m is NP:
        cols = _cols_np(_pad_np(x, p), (kh, kw), s, d, oh, ow)
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


def _conv_vjp(m, g, out, s, a, need):
    x, w, b = s
    stride, p, d, groups, oned = a
    if m is not NP:
        return _conv_vjp_graph(g, x, w, b, a, need)
    x4 = x.reshape(x.shape[0], x.shape[1], 1, -1) if oned else x
    w4 = w.reshape(w.shape[0], w.shape[1], 1, -1) if oned else w
    n, c, h, wd = x4.shape
    oc, cg, kh, kw = w4.shape
    g4 = np.asarray(g).reshape(n, oc, -1)
    oh, ow = _out_size(h, kh, stride[0], p[0], d[0]), _out_size(wd, kw, stride[1], p[1], d[1])
    gm = g4.reshape(n, groups, oc // groups, oh * ow)  # (N, G, OCg, L)
    db = g4.sum((0, 2)) if b is not None and need[2] else None
    dw = None
    if need[1]:
        cols = _as_matrix(_cols_np(_pad_np(x4, p), (kh, kw), stride, d, oh, ow), groups)
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


def _conv_vjp_graph(g, x, w, b, a, need):
    """The same grads from differentiable engine ops (``create_graph=True``)."""
    from ..functions import matmul

    stride, p, d, groups, oned = a
    x4 = x.reshape(x.shape[0], x.shape[1], 1, -1) if oned else x
    w4 = w.reshape(w.shape[0], w.shape[1], 1, -1) if oned else w
    n, c, h, wd = x4.shape
    oc, cg, kh, kw = w4.shape
    oh, ow = _out_size(h, kh, stride[0], p[0], d[0]), _out_size(wd, kw, stride[1], p[1], d[1])
    gm = g.reshape(n, groups, oc // groups, oh * ow)
    ih, iw = window_index(oh, ow, kh, kw, stride, d)
    shape_p = (n, c, h + 2 * p[0], wd + 2 * p[1])
    inner = (slice(None), slice(None), slice(p[0], p[0] + h), slice(p[1], p[1] + wd))
    db = g.sum((0, 2, 3) if g.dim() == 4 else (0, 2)) if b is not None and need[2] else None
    dw = dx = None
    if need[1]:
        xp = T.index_scatter(x4, shape_p, inner) if (p[0] or p[1]) else x4
        cols = xp[(slice(None), slice(None), _wrap(ih), _wrap(iw))]
        mat = cols.reshape(n, groups, c // groups, oh, ow, kh, kw).permute(
            0, 1, 3, 4, 2, 5, 6).reshape(n, groups, oh * ow, cg * kh * kw)
        dw = matmul(gm, mat).sum(0).reshape(*w.shape)
    if need[0]:
        wm = w4.reshape(groups, oc // groups, cg * kh * kw)
        dcols = matmul(wm.transpose(-1, -2), gm).reshape(n, c, kh, kw, oh, ow)
        dcols = dcols.permute(0, 1, 4, 5, 2, 3)
        full = (slice(None), slice(None), np.broadcast_to(ih, (oh, ow, kh, kw)),
                np.broadcast_to(iw, (oh, ow, kh, kw)))
        dxp = T.index_scatter(dcols, shape_p, full)
        dx = dxp[inner].reshape(*x.shape)
    return dx, dw, db


_CONV = register("convolution", "ConvolutionBackward0", None, _conv_vjp, save_inputs=True,
                 doc="conv1d/conv2d (im2col + matmul per group)")


# ---- F.pad (constant) -------------------------------------------------------------------------
def _pad_vjp(m, g, out, s, a, need):
    return (m.getitem(g, a[1]),)


_PAD = register("constant_pad_nd", "ConstantPadNdBackward0", None, _pad_vjp,
                doc="zero (constant) padding of the last dims")


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Padding: ``pad`` holds (left, right) pairs from the last dim backwards; the modes other
    than constant live in ``pad_modes``."""
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           "dimension but got padding length "
                           f"{len(pad)} and input of dimension {input.dim()}")
    pad = tuple(int(v) for v in pad)
    if mode != "constant":
        if mode not in ("reflect", "replicate", "circular"):
            raise NotImplementedError(f"Unrecognised padding mode {mode}")
        if value is not None:
            raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
        from .pad_modes import pad_mode

        return pad_mode(input, pad, mode)
    if any(v < 0 for v in pad):
        raise NotImplementedError("F.pad with negative padding (cropping) is not supported by "
                                  "stepgrad's engine")
    x = input._data
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    out = np.pad(x, widths, constant_values=0 if value is None else value)
    inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape, strict=True))
    return _result(_PAD, out, (input,), (tuple(widths), inner))


# ---- F.conv1d / conv2d ------------------------------------------------------------------------
def _fmt(shape):
    return "[" + ", ".join(str(v) for v in shape) + "]"


def resolve_padding(input, padding, k, s, d, nd, stacklevel):
    """The convolution's per-dim padding; ``padding='same'`` with an odd total pads ``input``'s
    far side by one first (returned), with PyTorch's warning at the caller's ``stacklevel``."""
    if not isinstance(padding, str):
        return input, _tuple(padding, nd)
    if padding not in ("same", "valid"):
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    if padding == "valid":
        return input, (0,) * nd
    if any(v != 1 for v in s):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    totals = [di * (ki - 1) for di, ki in zip(d, k, strict=True)]
    if any(t % 2 for t in totals):
        warnings.warn("Using padding='same' with even kernel lengths and odd dilation may "
                      "require a zero-padded copy of the input be created (Triggered "
                      "internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
                      "Convolution.cpp:1101.)", UserWarning, stacklevel=stacklevel)
        extra = []
        for t in reversed(totals):
            extra += [0, t % 2]
        input = pad(input, extra)
    return input, tuple(t // 2 for t in totals)


def _conv(input, weight, bias, stride, padding, dilation, groups, nd):
    name = f"conv{nd}d"
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {_fmt(input.shape)}")
    if input.dim() == nd + 1:
        out = _conv(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups, nd)
        return out.squeeze(0)
    x, w = input._data, weight._data
    if w.ndim != nd + 2:
        raise RuntimeError(f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional "
                           f"weight {_fmt(w.shape)}, but got {x.ndim}-dimensional input of size "
                           f"{_fmt(x.shape)} instead")
    k = tuple(w.shape[2:])
    s, d = _tuple(stride, nd), _tuple(dilation, nd)
    input, p = resolve_padding(input, padding, k, s, d, nd, stacklevel=4)
    x = input._data
    c = x.shape[1]
    if c != w.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {_fmt(w.shape)}, expected "
                           f"input{_fmt(x.shape)} to have {w.shape[1] * groups} channels, but "
                           f"got {c} channels instead")
    if w.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {_fmt(w.shape)} instead")
    if bias is not None and tuple(bias.shape) != (w.shape[0],):
        raise RuntimeError(f"Given weight of size {_fmt(w.shape)}, expected bias to be "
                           f"1-dimensional with {w.shape[0]} elements, but got bias of size "
                           f"{_fmt(bias.shape)} instead")
    padded = [x.shape[2 + i] + 2 * p[i] for i in range(nd)]
    eff = [d[i] * (k[i] - 1) + 1 for i in range(nd)]
    if any(pi < ei for pi, ei in zip(padded, eff, strict=True)):
        raise RuntimeError("Calculated padded input size per channel: ("
                           + " x ".join(map(str, padded)) + "). Kernel size: ("
                           + " x ".join(map(str, eff)) + "). Kernel size can't be greater than "
                           "actual input size")
    if x.dtype != w.dtype:
        raise RuntimeError(f"Input type ({_tname(x)}) and weight type ({_tname(w)}) should be "
                           "the same")
    oned = nd == 1
    if oned:
        s, p, d = (1, *s), (0, *p), (1, *d)
        x4, w4 = x[:, :, None, :], w[:, :, None, :]
    else:
        x4, w4 = x, w
    attrs = (s, p, d, groups, oned)
    out = conv_forward(NP, x4, w4, None if bias is None else bias._data, attrs)
    if oned:
        out = out[:, :, 0, :]
    out = np.ascontiguousarray(out, dtype=x.dtype)
    return _result(_CONV, out, (input, weight, bias), attrs)


def _tname(a):
    return {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}.get(a.dtype,
                                                                             a.dtype.name)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-D convolution (cross-correlation) over (N, C, L) or (C, L) input."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D convolution (cross-correlation) over (N, C, H, W) or (C, H, W) input."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


# ---- modules -----------------------------------------------------------------------------------
class _ConvNd(Module):
    _nd = 2
    _transposed = False  # transposed convolutions keep their weight as (in, out/groups, ...)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__()
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'same', 'valid'}")
            if padding == "same" and any(s != 1 for s in _tuple(stride, nd)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        modes = ("zeros", "reflect", "replicate", "circular")
        if padding_mode not in modes:
            raise ValueError("padding_mode must be one of {'zeros', 'replicate', 'reflect', "
                             f"'circular'}}, but got padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _tuple(kernel_size, nd)
        self.stride = _tuple(stride, nd)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, nd)
        self.dilation = _tuple(dilation, nd)
        self.transposed = self._transposed
        self.output_padding = (0,) * nd
        self.groups = groups
        self.padding_mode = padding_mode
        npd = to_numpy_dtype(dtype) if dtype is not None else _default[0].np
        shape = ((in_channels, out_channels // groups) if self._transposed else
                 (out_channels, in_channels // groups)) + tuple(self.kernel_size)
        self.weight = Parameter(_wrap(np.empty(shape, dtype=npd)))
        if bias:
            self.bias = Parameter(_wrap(np.empty((out_channels,), dtype=npd)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        nd = self._nd
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def forward(self, input: Tensor) -> Tensor:
        if self.padding_mode != "zeros":
            raise NotImplementedError(f"padding_mode={self.padding_mode!r}: stepgrad's engine "
                                      "convolves with zero padding only")
        fn = conv1d if self._nd == 1 else conv2d
        return fn(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                  self.groups)


class Conv1d(_ConvNd):
    """1-D convolution layer; weight (out, in/groups, k) ~ kaiming_uniform(a=sqrt(5))."""

    _nd = 1


class Conv2d(_ConvNd):
    """2-D convolution layer; weight (out, in/groups, kh, kw) ~ kaiming_uniform(a=sqrt(5))."""

    _nd = 2
