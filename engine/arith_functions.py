"""``torch.add``, ``sub``, ``subtract``, ``mul`` and ``multiply``: the Tensor methods applied to
``input`` (a Python number taken as a tensor), with PyTorch's parameter names. A surplus
positional argument, a missing one or a TypeError is read by ``engine.arith_args``, which words
PyTorch's error or takes the deprecated ``torch.add(input, alpha, other)``."""

from __future__ import annotations

from . import alpha_ops, arith_args  # alpha_ops binds Tensor.add, sub and subtract
from .arith_args import MISSING
from .tensor_data import Tensor, _wrap, as_array

_WARN_LEVEL = 4  # the script's line: warn_once, parse, this function, the out= wrapper


def _t(x):
    return x if isinstance(x, Tensor) else _wrap(as_array(x))


def _alpha_function(name, method):
    def function(input=MISSING, other=MISSING, *extra, alpha=1):
        if extra or other is MISSING or input is MISSING:
            other, alpha = arith_args.parse(name, "function", (input, other), extra,
                                            {"alpha": alpha}, _WARN_LEVEL)
        if not isinstance(input, Tensor):
            arith_args.check(name, "function", (input, other))
        try:
            return method(_t(input), other, alpha=alpha)
        except TypeError:
            arith_args.check(name, "function", (input, other))
            raise

    function.__name__ = function.__qualname__ = name
    return function


def _mul_function(name):
    def function(input=MISSING, other=MISSING, *extra):
        if extra or other is MISSING or input is MISSING:
            arith_args.parse(name, "function", (input, other), extra)
        if not isinstance(input, Tensor):
            arith_args.check(name, "function", (input, other))
        try:
            return _t(input) * other
        except TypeError:
            arith_args.check(name, "function", (input, other))
            raise

    function.__name__ = function.__qualname__ = name
    return function


add = _alpha_function("add", alpha_ops.Tensor.add)
sub = _alpha_function("sub", alpha_ops.Tensor.sub)
subtract = _alpha_function("subtract", alpha_ops.Tensor.subtract)
mul = _mul_function("mul")
multiply = _mul_function("multiply")
