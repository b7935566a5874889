"""PyTorch's messages for a bad index, worked out only after numpy has refused one (so a good
index pays nothing): too many indices, an index out of bounds (the dimension counted among the
index tensors, as ATen's index kernel counts it) and a boolean mask of the wrong shape."""

from __future__ import annotations

import numpy as np


def _consumed(i):
    if i is None or i is Ellipsis:
        return 0
    if isinstance(i, np.ndarray) and i.dtype.kind == "b":
        return max(i.ndim, 0)
    return 1


def index_error(shape, items) -> IndexError | None:
    """PyTorch's IndexError for indexing a tensor of ``shape`` with ``items`` (numpy arrays,
    ints, slices, None, Ellipsis), or None when this module does not know the case."""
    ndim = len(shape)
    used = sum(_consumed(i) for i in items)
    if used > ndim:
        return IndexError(f"too many indices for tensor of dimension {ndim}")
    k = next((k for k, i in enumerate(items) if i is Ellipsis), None)
    if k is not None:
        items = items[:k] + (slice(None),) * (ndim - used) + items[k + 1:]
    dim, advanced = 0, 0
    for i in items:
        if i is None:
            continue
        if isinstance(i, np.ndarray) and i.dtype.kind == "b":
            for j, n in enumerate(i.shape):
                if n != shape[dim + j]:
                    return IndexError(
                        f"The shape of the mask {list(i.shape)} at index {j} does not match the "
                        f"shape of the indexed tensor {list(shape)} at index {dim + j}")
            dim += i.ndim
            advanced += 1
            continue
        if isinstance(i, np.ndarray | list):
            arr = np.asarray(i)
            size = shape[dim]
            bad = (arr >= size) | (arr < -size)
            if bad.any():
                if size == 0:
                    return IndexError("index is out of bounds for dimension with size 0")
                v = arr.reshape(-1)[int(np.argmax(bad.reshape(-1)))]
                return IndexError(f"index {v} is out of bounds for dimension {advanced} with size "
                                  f"{size}")
            advanced += 1
        dim += 1
    return None
