"""``F.hardtanh``'s public function: PyTorch's argument checks, then its row
(``engine.ops.activation_grads``, beside the rows of the activations' recorded backwards)."""

from __future__ import annotations

from .dispatch import call
from .ops import OPS
from .tensor import Tensor


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``F.hardtanh``: ``clamp(x, min_val, max_val)`` with a zero grad at the bounds."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return input._inplace(lambda a: hardtanh(a, min_val, max_val))
    x = input._data
    if x.dtype.kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    return call(OPS["hardtanh"], (input,), min_val, max_val)

