"""Dropout's forward (``torch.dropout``, ``nn.functional.dropout``): below both namespaces, so
each imports it from here."""

from __future__ import annotations

import numpy as np

from .random import bernoulli_mask
from .tensor_data import Tensor, _wrap


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p), with PyTorch's
    mask after ``manual_seed`` (``engine.random.bernoulli_mask``)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    x = input._data
    if not training or p == 0 or x.size == 0:
        return input  # ATen returns the input itself: no node
    if p == 1:
        noise = np.zeros((), dtype=x.dtype)
    else:
        keep = bernoulli_mask(x.shape, 1.0 - p)
        noise = keep.astype(x.dtype) / np.asarray(1.0 - p, dtype=x.dtype)
    noise = _wrap(noise)
    return input.mul_(noise) if inplace else input * noise
