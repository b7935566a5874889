"""``F.unfold``: im2col of an (N, C, H, W) input (Im2ColBackward0), a gather map
(``engine.gather_maps``) whose zero padding is the map's ``-1`` entries."""

from __future__ import annotations

import numpy as np

from .. import gather_maps
from ..tensor import Tensor

gather_maps.add_row("im2col", "Im2ColBackward0", "F.unfold(a, kernel_size)")


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
    if min(k) <= 0:
        raise RuntimeError("kernel size should be greater than zero, but got kernel_height: "
                           f"{k[0]} kernel_width: {k[1]}")
    if min(s) <= 0:
        raise RuntimeError("stride should be greater than zero, but got stride_height: "
                           f"{s[0]} stride_width: {s[1]}")
    if min(dl) <= 0:
        raise RuntimeError("dilation should be greater than zero, but got dilation_height: "
                           f"{dl[0]} dilation_width: {dl[1]}")
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
    rows = (np.arange(oh) * s[0])[None, :] + (np.arange(k[0]) * dl[0])[:, None] - p[0]
    cols = (np.arange(ow) * s[1])[None, :] + (np.arange(k[1]) * dl[1])[:, None] - p[1]
    r = rows[:, None, :, None]  # (kh, 1, oh, 1)
    q = cols[None, :, None, :]  # (1, kw, 1, ow)
    inside = (r >= 0) & (r < h) & (q >= 0) & (q < w)
    plane = np.where(inside, r * w + q, -1)  # (kh, kw, oh, ow) flat position in one (H, W)
    base = (np.arange(n)[:, None] * c + np.arange(c)[None, :]) * h * w  # (n, c)
    idx = np.where(plane[None, None] >= 0, base[:, :, None, None, None, None] + plane[None, None],
                   -1)
    idx = idx.reshape(n, c * k[0] * k[1], oh * ow)
    if x.ndim == 3:
        idx = idx[0]
    return gather_maps.run("im2col", input, idx[None])

