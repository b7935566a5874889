"""``torch.nn.functional`` activations beyond relu/sigmoid/tanh: ``leaky_relu``, ``elu``,
``gelu``, ``silu``, ``softplus``, and ``dropout``. Each activation is one op row of
``engine/ops/nn.py`` (PyTorch's node name); dropout is ``input * noise`` (MulBackward0), as ATen's
CPU dropout is."""

from __future__ import annotations

from ..dropout import dropout  # noqa: F401  (F.dropout's home is below torch.dropout's)
from ..ops import OPS
from ..tensor import Tensor, _result

_KERNELS = {"elu": "elu_cpu", "leaky_relu": "leaky_relu_cpu", "gelu": "GeluKernelImpl",
            "silu": "silu_cpu", "softplus": "softplus_cpu", "celu": "elu_cpu", "selu": "elu_cpu",
            "hardsigmoid": "hardsigmoid_cpu", "hardswish": "hardswish_cpu", "mish": "mish_cpu",
            "logsigmoid": "log_sigmoid_cpu"}


def activation(key, input, inplace=False, **params):
    """Row ``key``'s forward on ``input`` (PyTorch's error for a non-float input), recorded;
    in place it rebases ``input``'s history on the row's in-place twin, if it has one."""
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"{_KERNELS[key]}" not implemented for '
                                  f"'{input.dtype.tensor_type[:-6]}'")
    if inplace:
        # leaky_relu_ and elu_ are other nodes in PyTorch (saving the result); silu_ is not
        key_ = key + "_" if key + "_" in OPS else key
        return input._inplace(lambda a: activation(key_, a, **params))
    op = OPS[key]
    out, attrs = op.fwd(input._data, **params)
    return _result(op, out, (input,), attrs, input._rg)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x > 0 ? x : negative_slope * x."""
    return activation("leaky_relu", input, inplace, negative_slope=negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x > 0 ? x : alpha * (exp(x) - 1)."""
    return activation("elu", input, inplace, alpha=alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF; approximate='tanh' uses its tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return activation("gelu", input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    return activation("silu", input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    return activation("softplus", input, beta=beta, threshold=threshold)
