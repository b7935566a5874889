"""``Tensor.unsafe_split``/``unsafe_chunk`` (and ``torch.unsafe_split``/``unsafe_chunk``): split
and chunk recorded as PyTorch's RNN cells record them, one ``UnsafeSplitBackward0`` node."""

from __future__ import annotations

import numpy as np

from .ops import OPS, register
from .tensor import Tensor

register("unsafe_split", "UnsafeSplitBackward0", None, OPS["split"].vjp,
         doc="a.unsafe_split(n, dim) (a.unsafe_chunk(k, dim))")


def unsafe_split(self: Tensor, split_size: int, dim: int = 0):
    x = self._data
    d = dim % x.ndim
    n = x.shape[d]
    sizes = [split_size] * (n // split_size) + ([n % split_size] if n % split_size else [])
    parts = np.split(x, np.cumsum(sizes)[:-1], axis=d)
    return self._multi_output("unsafe_split", parts, (d, tuple(sizes), x.shape, x.dtype))


def unsafe_chunk(self: Tensor, chunks: int, dim: int = 0):
    n = self._data.shape[dim]
    return unsafe_split(self, -(-n // chunks), dim)


Tensor.unsafe_split = unsafe_split
Tensor.unsafe_chunk = unsafe_chunk
