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

from .._dtype import _default, to_numpy_dtype
from ..ops import OPS
from ..ops.nn_conv import cols_np as _cols_np  # noqa: F401  (the pools' window view)
from ..ops.nn_conv import conv_forward, window_index  # noqa: F401  (symbolic's rules read them)
from ..tensor import Tensor, _result, _wrap
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


_CONV, _PAD = OPS["convolution"], OPS["constant_pad_nd"]


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
    out, attrs = _PAD.fwd(input._data, pad, 0 if value is None else value)
    return _result(_PAD, out, (input,), attrs)


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
    out, attrs = _CONV.fwd(x, w, None if bias is None else bias._data, s, p, d, groups)
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
