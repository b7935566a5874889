"""``F.avg_pool3d`` / ``nn.AvgPool3d`` (AvgPool3DBackward0) and ``F.max_unpool2d`` /
``nn.MaxUnpool2d`` (MaxUnpool2DBackward0). An average is a gather map (``engine.gather_maps``),
the window's picks weighted by 1 / divisor (zero padding and out-of-input taps are the map's
``-1``); unpooling puts each value at its recorded index and 0 elsewhere, and its grad reads the
output's grad at each input's index."""

from __future__ import annotations

import numpy as np

from .. import gather_maps
from ..ops import OPS
from ..tensor import Tensor, _result, _wrap
from .conv import _tuple
from .module import Module
from .pooling import _AvgPoolNd, _pool_size

_UNPOOL = OPS["max_unpool2d"]


def _axis(size, k, s, p, o, ceil_mode):
    """Per output index: the window's input positions (-1 outside the input) and the two
    divisors (counting the padding, or the input elements only)."""
    start = np.arange(o) * s - p
    taps = start[:, None] + np.arange(k)[None, :]
    inside = (taps >= 0) & (taps < size)
    end = np.minimum(start + k, size + p)
    return np.where(inside, taps, -1), end - start, np.minimum(end, size) - np.maximum(start, 0)


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over each strided 3-d window of an (N, C, D, H, W) or (C, D, H, W) input."""
    x = input._data
    if x.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    k = _tuple(kernel_size, 3)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _tuple(stride, 3)
    p = _tuple(padding, 3)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if any(pi * 2 > ki for pi, ki in zip(p, k, strict=True)):
        i = next(i for i in range(3) if p[i] * 2 > k[i])
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                           f"pad={p[i]}, kernel_size={k[i]} and dilation=1")
    spatial = x.shape[-3:]
    if any(spatial[i] + 2 * p[i] < k[i] for i in range(3)):
        raise RuntimeError(f"input image (T: {spatial[0]} H: {spatial[1]} W: {spatial[2]}) "
                           f"smaller than kernel size (kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    out = [_pool_size(spatial[i], k[i], s[i], p[i], 1, ceil_mode) for i in range(3)]
    axes = [_axis(spatial[i], k[i], s[i], p[i], out[i], ceil_mode) for i in range(3)]
    (td, fd, vd), (th, fh, vh), (tw, fw, vw) = axes
    h, w = spatial[1], spatial[2]
    # (oD, oH, oW, kD, kH, kW) flat positions within one (D, H, W) volume
    t = (td[:, None, None, :, None, None], th[None, :, None, None, :, None],
         tw[None, None, :, None, None, :])
    ok = (t[0] >= 0) & (t[1] >= 0) & (t[2] >= 0)
    vol = np.where(ok, (t[0] * h + t[1]) * w + t[2], -1)
    if divisor_override:
        div = np.full(out, float(divisor_override))
    elif count_include_pad:
        div = fd[:, None, None] * fh[None, :, None] * fw[None, None, :]
    else:
        div = vd[:, None, None] * vh[None, :, None] * vw[None, None, :]
    lead = x.shape[:-3]
    planes = int(np.prod(lead))
    base = (np.arange(planes) * int(np.prod(spatial))).reshape(lead + (1,) * 6)
    idx = np.where(vol >= 0, base + vol, -1)  # (*lead, oD, oH, oW, kD, kH, kW)
    nk = int(np.prod(k))
    idx = np.moveaxis(idx.reshape(lead + tuple(out) + (nk,)), -1, 0)
    weights = np.broadcast_to((1.0 / div), idx.shape)
    if x.dtype.kind != "f":  # integer pools truncate the sum, as ATen divides integers
        total = gather_maps.apply_map(x, idx, None)
        return _wrap((np.sign(total) * (np.abs(total) // div.astype(np.int64))).astype(x.dtype))
    return gather_maps.run("avg_pool3d", input, idx, weights)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Each value of ``input`` at its ``indices`` (flat within each (H, W) plane) of a zero
    output: the partial inverse of ``max_pool2d(..., return_indices=True)``."""
    k = _tuple(kernel_size, 2)
    s = k if stride is None else _tuple(stride, 2)
    p = _tuple(padding, 2)
    x, i = input._data, indices._data
    if i.dtype != np.int64:
        names = {"float32": "Float", "float64": "Double", "int32": "Int", "bool": "Bool"}
        raise RuntimeError("elements in indices should be type int64 but got: "
                           f"{names.get(str(i.dtype), i.dtype)}")
    if i.shape != x.shape:
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor "
                           f"({list(x.shape)}) but got indices tensor with shape: "
                           f"{list(i.shape)}")
    if x.ndim not in (3, 4):
        raise RuntimeError("Input to max_unpooling2d should be a 3d or 4d Tensor, but got a "
                           f"tensor with {x.ndim} dimensions.")
    default = [(x.shape[-2 + j] - 1) * s[j] + k[j] - 2 * p[j] for j in range(2)]
    if output_size is None:
        oh, ow = default
    else:
        size = tuple(int(v) for v in output_size)
        if len(size) == x.ndim:
            size = size[-2:]
        if len(size) != 2:
            raise ValueError(f"output_size should be a sequence containing 2 or {x.ndim} "
                             f"elements, but it has a length of '{len(size)}'")
        for j in range(2):
            lo, hi = default[j] - s[j], default[j] + s[j]
            if not lo < size[j] < hi:
                raise ValueError(f'invalid output_size "{size}" (dim {j} must be between '
                                 f"{lo} and {hi})")
        oh, ow = size
    bad = (i < 0) | (i >= oh * ow)
    if bad.any():
        raise RuntimeError(f"Found an invalid max index: {int(i[bad].reshape(-1)[0])} (output "
                           f"volumes are of size {oh}x{ow})")
    out, attrs = _UNPOOL.fwd(x, i, (oh, ow))
    return _result(_UNPOOL, out, (input,), attrs)


class AvgPool3d(_AvgPoolNd):
    """Mean over (kernel_size) 3-d windows; stride defaults to kernel_size."""

    def forward(self, input):
        return avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)


class MaxUnpool2d(Module):
    """Inverse of ``MaxPool2d(return_indices=True)``: values at their indices, zeros elsewhere."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _tuple(kernel_size, 2)
        self.stride = _tuple(stride if stride is not None else kernel_size, 2)
        self.padding = _tuple(padding, 2)

    def forward(self, input, indices, output_size=None):
        return max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding,
                            output_size)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}")
