"""``torch.autograd``: backward, grad, Function, grad modes, and (from engine.autograd.*)
gradcheck and functional helpers."""

from ..autograd_engine import BackwardStep, backward, backward_steps, grad
from ..grad_mode import enable_grad, no_grad, set_grad_enabled
from ..inference import inference_mode
from ..node import Node
from .function import Function, FunctionCtx, once_differentiable


class _VariableClass(type):
    def __instancecheck__(cls, obj):  # every Tensor is a Variable, as in PyTorch
        from ..tensor import Tensor

        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableClass):
    """``torch.autograd.Variable`` is a no-op wrapper since PyTorch 0.4."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        from ..tensor import Tensor

        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if requires_grad:
            data.requires_grad_(True)
        return data


def set_detect_anomaly(mode: bool, check_nan: bool = True):
    return None


class detect_anomaly:
    def __init__(self, check_nan=True):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False



__all__ = [
    "BackwardStep", "Function", "FunctionCtx", "Node", "Variable", "backward", "backward_steps",
    "detect_anomaly", "enable_grad", "grad", "inference_mode", "no_grad", "once_differentiable",
    "set_detect_anomaly", "set_grad_enabled",
]

# torch.autograd.gradcheck(...) and torch.autograd.functional.jacobian(...)
from . import functional, graph  # noqa: E402, F401
from .gradcheck import gradcheck, gradgradcheck  # noqa: E402, F401
