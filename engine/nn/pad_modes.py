"""``F.pad``'s reflect, replicate and circular modes: each output element is a copy of one input
element, so each mode is a gather map (``engine.gather_maps``) recorded under PyTorch's node name
(``ReflectionPad{1,2,3}DBackward0``, ``ReplicationPad{1,2,3}DBackward0``; circular padding is
written into a new tensor by slices in PyTorch, hence ``CopySlices``). Negative pads crop."""

from __future__ import annotations

import numpy as np

from .. import gather_maps
from ..tensor import Tensor

_KIND = {"reflect": "reflection", "replicate": "replication", "circular": "circular"}


def _source(mode, n, lo, hi, arg, dim, shape):
    """Input positions feeding each output position along one dim of size ``n``."""
    pos = np.arange(-lo, n + hi, dtype=np.int64)
    if mode == "reflect":
        if lo >= n or hi >= n:
            raise RuntimeError(f"Argument #{arg}: Padding size should be less than the "
                               "corresponding input dimension, but got: padding "
                               f"({lo}, {hi}) at dimension {dim} of input {list(shape)}")
        pos = np.abs(pos)
        return np.where(pos >= n, 2 * (n - 1) - pos, pos)
    if mode == "replicate":
        return np.clip(pos, 0, n - 1)
    if lo > n or hi > n:
        raise RuntimeError("Padding value causes wrapping around more than once.")
    # a negative pad crops first; the other side then wraps around what is left
    kept = np.arange(max(-lo, 0), n - max(-hi, 0), dtype=np.int64)
    if not kept.size:
        return kept
    return kept[np.arange(-max(lo, 0), kept.size + max(hi, 0)) % kept.size]


def pad_mode(input: Tensor, pad, mode: str) -> Tensor:
    """``F.pad(input, pad, mode)`` for mode reflect, replicate or circular."""
    x = input._data
    k = len(pad) // 2
    if not (k + 1 <= x.ndim <= k + 2) or k > 3:
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    kind = _KIND[mode]
    if x.dtype.kind == "b" and mode != "circular":
        raise NotImplementedError(f'"{kind}_pad{k}d" not implemented for \'Bool\'')
    if mode != "circular" and any(x.shape[x.ndim - k + i] == 0 for i in range(k)) or (
            mode != "circular" and x.ndim == k + 2 and x.shape[1] == 0):
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 "
                           "batch size and other non-zero dimensions for input, but got: "
                           f"{list(x.shape)}")
    idx = gather_maps.grid_index(x.shape)
    for i in range(k):
        dim = x.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        n = x.shape[dim]
        if n + lo + hi < 0 or (mode == "replicate" and n + lo + hi <= 0):
            raise RuntimeError(f"input (W: {n}) is too small. Calculated output W: {n + lo + hi}")
        src = _source(mode, n, lo, hi, 4 + 2 * i, dim, x.shape)
        idx = np.take(idx, src, axis=dim)
    key = "circular_pad" if mode == "circular" else f"{kind}_pad{k}d"
    return gather_maps.run(key, input, idx[None])
