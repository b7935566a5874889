"""``torch.nn.functional`` activations beyond relu/sigmoid/tanh: ``leaky_relu``, ``elu``,
``gelu``, ``silu``, ``softplus``, and ``dropout``. Each activation is one op row of
``engine/ops/nn.py`` (PyTorch's node name); dropout is ``input * noise`` (MulBackward0), as ATen's
CPU dropout is."""

from __future__ import annotations

import math

import numpy as np

from ..dropout import dropout  # noqa: F401  (F.dropout's home is below torch.dropout's)
from ..ns import erf_np
from ..ops import OPS
from ..tensor import Tensor, _result


def _float(x):
    return x if x.dtype.kind == "f" else x.astype(np.float32)


_KERNELS = {"elu": "elu_cpu", "leaky_relu": "leaky_relu_cpu", "gelu": "GeluKernelImpl",
            "silu": "silu_cpu", "softplus": "softplus_cpu"}


def _activation(key, input, fwd, attrs, inplace=False):
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"{_KERNELS[key]}" not implemented for '
                                  f"'{input.dtype.tensor_type[:-6]}'")
    if inplace:
        # leaky_relu_ and elu_ are other nodes in PyTorch (saving the result); silu_ is not
        key_ = key + "_" if key + "_" in OPS else key
        return input._inplace(lambda a: _activation(key_, a, fwd, attrs))
    x = _float(input._data)
    return _result(OPS[key], np.asarray(fwd(x), dtype=x.dtype), (input,), attrs, input._rg)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x > 0 ? x : negative_slope * x."""
    return _activation("leaky_relu", input, lambda x: np.where(x > 0, x, x * negative_slope),
                       negative_slope, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x > 0 ? x : alpha * (exp(x) - 1)."""
    def fwd(x):
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0)) * alpha)

    return _activation("elu", input, fwd, alpha, inplace)


def _gelu_np(x, approximate):
    # ATen's order of operations in the input's dtype: float32 1 + erf(x / sqrt 2) cancels for
    # x << 0, and PyTorch prints the cancelled digits
    dt = x.dtype.type
    if approximate == "tanh":
        inner = (x + x * x * x * dt(0.044715)) * dt(math.sqrt(2.0 / math.pi))
        return dt(0.5) * x * (dt(1.0) + np.tanh(inner))
    return x * dt(0.5) * (dt(1.0) + erf_np(x * dt(math.sqrt(0.5))))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF; approximate='tanh' uses its tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _activation("gelu", input, lambda x: _gelu_np(x, approximate), approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""

    def fwd(x):
        with np.errstate(over="ignore"):  # exp(-x) = inf for very negative x gives -0, rightly
            return x / (1.0 + np.exp(-x))

    return _activation("silu", input, fwd, None, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""

    def fwd(x):
        bx = x * beta
        with np.errstate(over="ignore"):  # overflow only where the threshold branch is taken
            return np.where(bx > threshold, x, np.log1p(np.exp(bx)) / beta)

    return _activation("softplus", input, fwd, (beta, threshold))
