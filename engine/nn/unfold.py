"""``F.unfold`` (im2col of an (N, C, H, W) input, Im2ColBackward0) and ``F.fold`` (its adjoint,
col2im, Col2ImBackward0), both gather maps (``engine.gather_maps``): im2col's zero padding is
the map's ``-1`` entries; col2im's map lists, per output element, the column entries adding into
it."""

from __future__ import annotations

import numpy as np

from .. import gather_maps
from ..tensor import Tensor
from .module import Module


def _pair(v, what):
    out = (int(v), int(v)) if isinstance(v, int | np.integer) else tuple(int(a) for a in v)
    if len(out) == 1:
        out = out * 2
    return out


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: every (dilated, strided) window of the zero-padded input as a column:
    (N, C, H, W) -> (N, C * kh * kw, L)."""
    x = input._data
    if x.ndim not in (3, 4) or (x.ndim == 4 and 0 in x.shape[1:]) or (
            x.ndim == 3 and 0 in x.shape):
        if x.ndim == 2:
            raise IndexError("Dimension out of range (expected to be in range of [-2, 1], but "
                             "got 2)")
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           "and other non-zero dimensions for input, but got: "
                           f"{list(x.shape)}")
    k, dl, p, s = (_pair(v, n) for v, n in ((kernel_size, "kernel"), (dilation, "dilation"),
                                            (padding, "padding"), (stride, "stride")))
    _check_geometry(k, dl, s)
    if x.dtype.kind != "f":
        name = {"int64": "Long", "int32": "Int", "bool": "Bool"}.get(str(x.dtype), x.dtype)
        raise NotImplementedError(f'"im2col_out_cpu" not implemented for \'{name}\'')
    n, c, h, w = x.shape if x.ndim == 4 else (1, *x.shape)
    oh = (h + 2 * p[0] - dl[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - dl[1] * (k[1] - 1) - 1) // s[1] + 1
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Given input with spatial size ({h}, {w}), kernel_size=({k[0]}, "
                           f"{k[1]}), dilation=({dl[0]}, {dl[1]}), padding=({p[0]}, {p[1]}), "
                           f"calculated shape of the array of sliding blocks as ({oh}, {ow}), "
                           "but its components must be at least one.")
    idx = _im2col_index(n, c, h, w, k, dl, p, s, oh, ow)
    if x.ndim == 3:
        idx = idx[0]
    return gather_maps.run("im2col", input, idx[None])


def _im2col_index(n, c, h, w, k, dl, p, s, oh, ow):
    """(N, C*kh*kw, L) flat positions into an (N, C, H, W) array, -1 in the padding."""
    rows = (np.arange(oh) * s[0])[None, :] + (np.arange(k[0]) * dl[0])[:, None] - p[0]
    cols = (np.arange(ow) * s[1])[None, :] + (np.arange(k[1]) * dl[1])[:, None] - p[1]
    r = rows[:, None, :, None]  # (kh, 1, oh, 1)
    q = cols[None, :, None, :]  # (1, kw, 1, ow)
    inside = (r >= 0) & (r < h) & (q >= 0) & (q < w)
    plane = np.where(inside, r * w + q, -1)  # (kh, kw, oh, ow) flat position in one (H, W)
    base = (np.arange(n)[:, None] * c + np.arange(c)[None, :]) * h * w  # (n, c)
    idx = np.where(plane[None, None] >= 0, base[:, :, None, None, None, None] + plane[None, None],
                   -1)
    return idx.reshape(n, c * k[0] * k[1], oh * ow)


def _check_geometry(k, dl, s):
    if min(k) <= 0:
        raise RuntimeError("kernel size should be greater than zero, but got kernel_height: "
                           f"{k[0]} kernel_width: {k[1]}")
    if min(s) <= 0:
        raise RuntimeError("stride should be greater than zero, but got stride_height: "
                           f"{s[0]} stride_width: {s[1]}")
    if min(dl) <= 0:
        raise RuntimeError("dilation should be greater than zero, but got dilation_height: "
                           f"{dl[0]} dilation_width: {dl[1]}")


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im, the adjoint of ``unfold``: (N, C*kh*kw, L) columns summed back into
    (N, C, H, W), overlapping taps added (Col2ImBackward0)."""
    x = input._data
    if x.ndim not in (2, 3) or 0 in x.shape[-2:]:
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           "batch size and non-zero dimensions for input, but got: "
                           f"{list(x.shape)}")
    k, dl, p, s = (_pair(v, "") for v in (kernel_size, dilation, padding, stride))
    hw = _pair(output_size, "")
    _check_geometry(k, dl, s)
    kk = k[0] * k[1]
    if x.shape[-2] % kk:
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={x.shape[-2]} and "
                           f"kernel_size=({k[0]}, {k[1]}).")
    oh = (hw[0] + 2 * p[0] - dl[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (hw[1] + 2 * p[1] - dl[1] * (k[1] - 1) - 1) // s[1] + 1
    if x.shape[-1] != oh * ow:
        raise RuntimeError(f"Given output_size=({hw[0]}, {hw[1]}), kernel_size=({k[0]}, {k[1]}),"
                           f" dilation=({dl[0]}, {dl[1]}), padding=({p[0]}, {p[1]}), stride=("
                           f"{s[0]}, {s[1]}), expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {oh} * {ow} = {oh * ow}, but "
                           f"got input.size(2)={x.shape[-1]}.")
    if x.dtype.kind != "f":
        name = {"int64": "Long", "int32": "Int", "bool": "Bool"}.get(str(x.dtype), x.dtype)
        raise NotImplementedError(f'"col2im_out_cpu" not implemented for \'{name}\'')
    n = x.shape[0] if x.ndim == 3 else 1
    c = x.shape[-2] // kk
    target = _im2col_index(n, c, hw[0], hw[1], k, dl, p, s, oh, ow).reshape(-1)
    source = np.arange(target.size, dtype=np.int64)
    keep = target >= 0
    target, source = target[keep], source[keep]
    # the inverse map: for each output element, the (up to K) columns entries that add into it
    order = np.argsort(target, kind="stable")
    target, source = target[order], source[order]
    size = n * c * hw[0] * hw[1]
    counts = np.bincount(target, minlength=size)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.arange(target.size) - starts[target]
    idx = np.full((max(int(counts.max(initial=0)), 1), size), -1, dtype=np.int64)
    idx[slot, target] = source
    shape = (n, c) + hw if x.ndim == 3 else (c,) + hw
    return gather_maps.run("col2im", input, idx.reshape((-1,) + shape))



class Unfold(Module):
    """``F.unfold`` as a module."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """``F.fold`` as a module."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
