"""``Tensor.unfold``: sliding windows along one dim as a new last dim (UnfoldBackward0), a gather
map (``engine.gather_maps``)."""

from __future__ import annotations

import numpy as np

from . import gather_maps
from .tensor import Tensor, _dims


def tensor_unfold(self, dimension, size, step):
    """Windows of ``size`` every ``step`` along ``dimension``, as a new last dim."""
    x = self._data
    d = 0 if x.ndim == 0 and dimension in (0, -1) else _dims(dimension, x.ndim)[0]
    n = x.shape[d] if x.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    grid = gather_maps.grid_index(x.shape).reshape(x.shape or (1,))
    count = (n - size) // step + 1
    starts = np.arange(count) * step
    windows = starts[:, None] + np.arange(size)[None, :]  # (count, size)
    idx = np.take(grid, windows, axis=d)  # dim d becomes (count, size)
    idx = np.moveaxis(idx, d + 1, -1)
    if x.ndim == 0:
        idx = idx.reshape(size)
    return gather_maps.run("unfold", self, idx[None])


Tensor.unfold = tensor_unfold
