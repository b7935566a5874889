"""Pooling: ``F.max_pool2d``/``avg_pool2d``/``adaptive_avg_pool2d`` (and the 1-D forms) with
their modules, each one node named as PyTorch names it (``MaxPool2DWithIndicesBackward0``,
``AvgPool2DBackward0``, ``AdaptiveAvgPool2DBackward0``; a 1x1 adaptive pool is PyTorch's mean
over the last two dims, ``MeanBackward1``; the 1-D forms are the 2-D ones between an unsqueeze
and a squeeze, as PyTorch records them).

Windows come from a strided view of the padded input (padding -inf for max, 0 for average);
each backward adds the grad back one kernel offset at a time (a strided slice per offset).
"""

from __future__ import annotations

import numpy as np

from ..ops import OPS
from ..ops.nn_pool import adaptive_ranges, winner_index  # noqa: F401  (symbolic reads them)
from ..tensor import Tensor, _result, _wrap
from .conv import _tuple
from .module import Module


def _pool_size(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window must start inside the input or its left padding
    return out


def _geometry(x, kernel_size, stride, padding, dilation, ceil_mode, name):
    k = _tuple(kernel_size, 2)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _tuple(stride, 2)
    p, d = _tuple(padding, 2), _tuple(dilation, 2)
    if any(pi * 2 > ki for pi, ki in zip(p, k, strict=True)):
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                           f"pad={p[0] if p[0] * 2 > k[0] else p[1]}, kernel_size="
                           f"{k[0] if p[0] * 2 > k[0] else k[1]} and dilation="
                           f"{d[0] if p[0] * 2 > k[0] else d[1]}")
    h, w = x.shape[-2:]
    oh = _pool_size(h, k[0], s[0], p[0], d[0], ceil_mode)
    ow = _pool_size(w, k[1], s[1], p[1], d[1], ceil_mode)
    if oh < 1 or ow < 1:
        c = x.shape[-3]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{oh}x{ow}). Output size is too small")
    # right/bottom padding so that every (ceil-mode) window lies inside the padded array
    need_h = (oh - 1) * s[0] + d[0] * (k[0] - 1) + 1
    need_w = (ow - 1) * s[1] + d[1] * (k[1] - 1) + 1
    extra = (max(0, need_h - h - p[0]), max(0, need_w - w - p[1]))
    return k, s, p, d, oh, ow, extra


def _check_dims(input, name, nd=2):
    if input.dim() not in (nd + 1, nd + 2):
        shape = "[" + ", ".join(map(str, input.shape)) + "]"
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for "
                           f"input, but got: {shape}" if nd == 2 else
                           f"{name}() Expected 2D or 3D input tensor, but got {shape}")


_MAX_POOL, _AVG_POOL = OPS["max_pool2d"], OPS["avg_pool2d"]
_ADAPTIVE = OPS["adaptive_avg_pool2d"]


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over each (dilated, strided) window; with ``return_indices`` also each maximum's
    flat position in its input plane."""
    _check_dims(input, "max_pool2d")
    if input.dim() == 3:
        res = max_pool2d(input.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices)
        return (res[0].squeeze(0), res[1].squeeze(0)) if return_indices else res.squeeze(0)
    x = input._data
    geometry = _geometry(x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    out, attrs = _MAX_POOL.fwd(x, geometry)
    res = _result(_MAX_POOL, out, (input,), attrs)
    if return_indices:
        _, _, rows, cols = winner_index(x.shape, attrs[1])
        return res, _wrap((rows * x.shape[3] + cols).astype(np.int64))
    return res


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over windows of the last dim (the 2-D pool on a height-1 view)."""
    _check_dims(input, "max_pool1d", 1)
    one = lambda v: v if v is None or isinstance(v, int) else v[0]  # noqa: E731
    st = None if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        (1, one(stride))
    res = max_pool2d(input.unsqueeze(-2), (1, one(kernel_size)), st, (0, one(padding)),
                     (1, one(dilation)), ceil_mode, return_indices)
    if return_indices:
        return res[0].squeeze(-2), res[1].squeeze(-2)
    return res.squeeze(-2)


# ---- average pool -----------------------------------------------------------------------------
def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over each strided window (zero padding counted unless ``count_include_pad=False``)."""
    _check_dims(input, "avg_pool2d")
    if input.dim() == 3:
        return avg_pool2d(input.unsqueeze(0), kernel_size, stride, padding, ceil_mode,
                          count_include_pad, divisor_override).squeeze(0)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    x = input._data
    geometry = _geometry(x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    out, attrs = _AVG_POOL.fwd(x, geometry, count_include_pad, divisor_override)
    return _result(_AVG_POOL, out, (input,), attrs)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over windows of the last dim (the 2-D pool on a height-1 view)."""
    _check_dims(input, "avg_pool1d", 1)
    one = lambda v: v if v is None or isinstance(v, int) else v[0]  # noqa: E731
    st = None if stride is None else (1, one(stride))
    return avg_pool2d(input.unsqueeze(-2), (1, one(kernel_size)), st, (0, one(padding)),
                      ceil_mode, count_include_pad).squeeze(-2)


# ---- adaptive average pool --------------------------------------------------------------------
def _adaptive_out(output_size, h, w):
    if isinstance(output_size, int):
        return output_size, output_size
    oh, ow = tuple(output_size) if len(output_size) == 2 else (output_size[0],) * 2
    return (h if oh is None else oh), (w if ow is None else ow)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Mean over ``output_size`` windows that tile the input (overlapping where it does not
    divide evenly)."""
    _check_dims(input, "adaptive_avg_pool2d")
    if input.dim() == 3:
        return adaptive_avg_pool2d(input.unsqueeze(0), output_size).squeeze(0)
    x = input._data
    oh, ow = _adaptive_out(output_size, x.shape[2], x.shape[3])
    if (oh, ow) == (1, 1):
        return input.mean((-1, -2), keepdim=True)
    out, attrs = _ADAPTIVE.fwd(x, (oh, ow))
    return _result(_ADAPTIVE, out, (input,), attrs)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Mean over adaptive windows of the last dim."""
    size = output_size if isinstance(output_size, int) else output_size[0]
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


# ---- modules -----------------------------------------------------------------------------------
class MaxPool2d(Module):
    """Max over (kernel_size) windows; stride defaults to kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(MaxPool2d):
    """Max over windows of the last dim."""

    def forward(self, input):
        return max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)


class _AvgPoolNd(Module):
    """The settings of the 2-d and 3-d average pools (stride defaults to kernel_size)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """Mean over (kernel_size) windows; stride defaults to kernel_size."""

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)


class AvgPool1d(Module):
    """Mean over windows of the last dim."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        super().__init__()
        self.kernel_size = _tuple(kernel_size, 1)
        self.stride = _tuple(stride if stride is not None else kernel_size, 1)
        self.padding = _tuple(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Mean over windows that tile the input into ``output_size``."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """Mean over windows that tile the last dim into ``output_size``."""

    def forward(self, input):
        return adaptive_avg_pool1d(input, self.output_size)
