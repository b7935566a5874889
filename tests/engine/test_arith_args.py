"""``add``, ``sub``, ``mul`` and their aliases ``subtract``/``multiply`` (methods, in-place methods,
``torch.*`` functions) read their arguments as PyTorch 2.13's parser does: a positional alpha is
refused with PyTorch's TypeError (a method's count leaves ``self`` out), the deprecated
``add(alpha, other)`` is taken with PyTorch's warning, and a missing or mistyped argument is named
as PyTorch names it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import engine
from engine import warn_once

X, Y = [1.0, 2.0], [3.0, 4.0]

CALLS = [
    # a positional alpha: the brief's case and its relatives
    "x.add(y, 2)", "x.sub(y, 2)", "x.mul(y, 2)", "x.add(y, 2.5)", "x.add_(y, 2)", "x.sub_(y, 2)",
    "x.mul_(y, 2)", "torch.add(x, y, 2)", "torch.sub(x, y, 2)", "torch.mul(x, y, 2)",
    "x.subtract(y, 2)", "x.multiply(y, 2)", "x.subtract_(y, 2)", "x.multiply_(y, 2)",
    "torch.subtract(x, y, 2)", "torch.multiply(x, y, 2)", "torch.add(x, y, 2, out=None)",
    "torch.mul(x, y, 2, out=None)",
    # more positional arguments than any overload takes, and none
    "x.add(y, 2, 3)", "x.sub(y, 2, 3)", "x.mul(y, 2, 3)", "x.add_(y, 2, 3)",
    "torch.add(x, y, 2, 3)", "torch.subtract(x, y, y)", "x.add()", "x.sub()", "x.mul()",
    "x.mul_()", "x.add_()",
    "x.subtract()", "x.multiply()", "torch.add()", "torch.add(x)", "torch.sub(x)", "torch.mul(x)",
    "torch.subtract(x)", "torch.multiply(x)", "x.add(alpha=2)",
    # keywords
    "x.add(y, 2, alpha=3)", "x.add(2, 3, alpha=2)", "x.add(y, beta=2)", "x.mul(y, alpha=2)",
    "torch.mul(x, y, alpha=2)", "x.mul_(y, alpha=2)", "x.add(y, other=y)", "x.add(other=y)",
    "torch.add(x, other=y)", "torch.add(input=x, other=y)", "torch.mul(input=x, other=y)",
    "x.mul(other=y)", "torch.add(x, y, alpha=2, beta=1)", "x.add(y, alpha=y)",
    "x.add(y, alpha=None)",
    # wrong types
    "x.add('s')", "x.sub('s')", "x.mul('s')", "x.add(None)", "x.mul(None)", "torch.add(x, 's')",
    "torch.mul(x, 's')", "torch.add(None, x)", "torch.mul(None, x)", "torch.add('a', x)",
    "x.subtract('s')", "x.multiply('s')", "torch.multiply(x, 's')",
    # accepted: numbers, the deprecated overload, subtract's (Number other, Number alpha)
    "x.add(2)", "x.mul(2.5)", "x.add(True)", "x.add(np.float32(2))", "torch.add(1, x)",
    "torch.mul(2, x)", "x.add(2, y)", "x.add(2, 3)", "x.add(2.5, y)", "x.sub(2, y)",
    "x.add_(2, y)", "x.sub_(2, y)", "torch.add(x, 2, y)", "torch.sub(x, 2, y)",
    "x.add(torch.tensor(2.0), y)", "x.add(torch.tensor(2, dtype=torch.int64), 3)",
    "x.add(torch.tensor(2.0, requires_grad=True), y)", "x.add(torch.tensor([2.0]), y)",
    "x.add(2, [1.0, 2.0])", "x.subtract(2, 2)", "torch.subtract(x, 2, 3)", "x.subtract(2, y)",
    "torch.subtract(x, 2, y)", "x.multiply(2)", "x.multiply(2, 2)", "x.subtract_(2, 3)",
    "x.add(y, alpha=2)", "torch.sub(x, y, alpha=0.5)",
]


def _run(torch, call):
    x, y = torch.tensor(X), torch.tensor(Y)
    torch.set_warn_always(True)  # the deprecation warns once per process: every time here
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                r = eval(call, {"torch": torch, "x": x, "y": y, "np": np})  # the fixed calls above
            except TypeError as e:
                return ("TypeError", str(e))
    finally:
        torch.set_warn_always(False)
    return r.tolist(), r.dtype == torch.float32, [str(w.message) for w in caught]


@pytest.mark.torch
@pytest.mark.parametrize("call", CALLS)
def test_the_call_is_accepted_or_refused_as_torch_does(call):
    torch = pytest.importorskip("torch")
    assert _run(engine, call) == _run(torch, call)


def test_a_positional_alpha_is_refused_in_pytorchs_words():
    x, y = engine.tensor(X), engine.tensor(Y)
    for name in ("add", "sub", "mul", "add_", "sub_", "mul_"):
        # the method's count leaves self out: one parameter, two values
        with pytest.raises(TypeError, match=rf"^{name}\(\) takes 1 positional argument but 2 "
                                            "were given$"):
            getattr(x, name)(y, 2)
    for name in ("add", "sub", "mul"):
        with pytest.raises(TypeError, match=rf"^{name}\(\) takes 2 positional arguments but 3 "
                                            "were given$"):
            getattr(engine, name)(x, y, 2)
    with pytest.raises(TypeError, match=r"^add\(\) received an invalid combination of arguments "
                                        r"- got \(Tensor, !int!, !int!\), but expected \(Tensor "
                                        r"other, \*, Number alpha = 1\)$"):
        x.add(y, 2, 3)
    assert x.tolist() == X  # nothing was written by a refused add_


def test_missing_and_mistyped_arguments_are_named():
    x = engine.tensor(X)
    with pytest.raises(TypeError, match=r"^add\(\): argument 'other' \(position 1\) must be "
                                        "Tensor, not str$"):
        x.add("s")
    with pytest.raises(TypeError, match=r'^mul\(\) missing 1 required positional arguments: '
                                        r'"other"$'):
        x.mul()
    with pytest.raises(TypeError, match=r"^add\(\): argument 'input' \(position 1\) must be "
                                        "Tensor, not NoneType$"):
        engine.add(None, x)


def test_the_deprecated_overload_scales_other_by_alpha_and_warns_once():
    x = engine.tensor(X, requires_grad=True)
    y = engine.tensor(Y, requires_grad=True)
    warn_once.warned.discard("deprecated-overload")
    with pytest.warns(UserWarning, match=r"This overload of add is deprecated:\n\tadd\(Number "
                                         r"alpha, Tensor other\)"):
        z = x.add(2, y)  # x + 2 * y
    assert z.tolist() == [7.0, 10.0]
    assert z.grad_fn.name() == "AddBackward0" and z.grad_fn._saved_alpha == 2
    z.sum().backward()
    assert y.grad.tolist() == [2.0, 2.0] and x.grad.tolist() == [1.0, 1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second use, of any op, is silent
        assert engine.sub(x, 3, y).tolist() == [-8.0, -10.0]
    # subtract's second overload is visible: (Number other, Number alpha)
    assert engine.tensor(X).subtract(2, 3).tolist() == [-5.0, -4.0]


def test_methods_take_their_operand_without_the_reflected_operator():
    class Other:
        def __radd__(self, t):  # the operator would defer to it; PyTorch's method does not
            return "reflected"

    x = engine.tensor(X)
    assert x + Other() == "reflected"
    with pytest.raises(TypeError, match=r"^add\(\): argument 'other' \(position 1\) must be "
                                        "Tensor, not Other$"):
        x.add(Other())
