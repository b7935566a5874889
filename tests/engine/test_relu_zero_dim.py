"""relu's backward on 0-d tensors (a one-number loss, a scalar parameter): the grad passes where
the output is positive, is 0 where it is not, in every dtype, plain and with create_graph."""

from __future__ import annotations

import pytest

import engine


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("value", "grad"), [(2.0, 1.0), (-1.5, 0.0), (0.0, 0.0)])
def test_relu_backward_of_a_zero_dim_tensor(dtype, value, grad):
    x = engine.tensor(value, dtype=getattr(engine, dtype), requires_grad=True)
    x.relu().backward()
    assert x.grad.shape == () and x.grad.dtype == getattr(engine, dtype)
    assert x.grad.item() == grad


@pytest.mark.torch
@pytest.mark.parametrize("value", [3.0, -2.0, 0.0])
def test_relu_double_backward_of_a_zero_dim_tensor_as_pytorch(value):
    torch = pytest.importorskip("torch")
    got = []
    for lib in (engine, torch):
        x = lib.tensor(value, requires_grad=True)
        (g,) = lib.autograd.grad(x.relu().sum(), [x], create_graph=True)
        got.append((g.item(), g.requires_grad, tuple(g.shape)))
    assert got[0] == got[1]
