"""``Tensor.unsafe_split``/``unsafe_chunk`` (and ``torch.unsafe_split``/``unsafe_chunk``): split
and chunk recorded as PyTorch's RNN cells record them, one ``UnsafeSplitBackward0`` node (the
``unsafe_split`` row of ``engine.ops.shape``)."""

from __future__ import annotations

from .tensor import Tensor


def unsafe_split(self: Tensor, split_size: int, dim: int = 0):
    x = self._data
    d = dim % x.ndim
    n = x.shape[d]
    sizes = [split_size] * (n // split_size) + ([n % split_size] if n % split_size else [])
    return self._multi_output("unsafe_split", x, d, sizes)


def unsafe_chunk(self: Tensor, chunks: int, dim: int = 0):
    n = self._data.shape[dim]
    return unsafe_split(self, -(-n // chunks), dim)


Tensor.unsafe_split = unsafe_split
Tensor.unsafe_chunk = unsafe_chunk
