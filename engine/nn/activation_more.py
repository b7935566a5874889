"""More activations: ``celu``, ``selu``, ``relu6``, ``hardsigmoid``, ``hardswish``, ``mish``,
``logsigmoid``, ``threshold`` (each one op row with PyTorch's node name: ``CeluBackward0``,
``EluBackward0``, ``HardtanhBackward0``, ...), and the compositions ``softsign``
(x / (1 + |x|)) and ``softmin`` (softmax of -x), recorded as the elementary nodes PyTorch
records."""

from __future__ import annotations

from ..dispatch import call
from ..elementwise_extra import hardtanh
from ..ops import OPS
from ..tensor import Tensor
from .activation_functions import activation
from .softmax import _softmax_dim, softmax


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return activation("celu", input, inplace, alpha=alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return activation("selu", input, inplace)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0, 6, inplace)  # PyTorch's relu6 passes ints: _saved_min_val is 0


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    return activation("hardsigmoid", input, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    return activation("hardswish", input, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    return activation("mish", input, inplace)


def logsigmoid(input: Tensor) -> Tensor:
    return activation("logsigmoid", input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x > threshold ? x : value (integer tensors too, as PyTorch's)."""
    return _threshold(input, threshold, value, inplace)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _threshold(input, threshold, value, True)


def _threshold(input, limit, value, inplace):
    if input._data.dtype.kind == "b":
        raise NotImplementedError('"threshold_cpu" not implemented for \'Bool\'')
    if inplace:
        return input._inplace(lambda a: call(OPS["threshold_"], (a,), limit, value))
    return call(OPS["threshold"], (input,), limit, value)


def softsign(input: Tensor) -> Tensor:
    return input / (input.abs() + 1)


def softmin(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    return softmax(-input, dim, dtype=dtype)
