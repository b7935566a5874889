"""``x ** e`` (e a number) differentiates as PyTorch's ``pow_backward``: ``grad * (e * x ** (e -
1))`` in that order, so the grads round as PyTorch's, and under ``create_graph=True`` the
backward records PyTorch's nodes (PowBackward0, MulBackward1, MulBackward0)."""

from __future__ import annotations

import numpy as np
import pytest
from node_tree import node_tree

import engine


def test_the_grad_is_grad_times_e_times_x_to_e_minus_1():
    x = np.float32([0.3, -1.7, 2.9, 11.0])
    g = np.float32([1.1, 0.7, -3.3, 0.013])
    t = engine.tensor(x, requires_grad=True)
    (t ** 3).backward(engine.tensor(g))
    # 3 * x² rounded first, then times g (g * 3 first would round differently)
    np.testing.assert_array_equal(t.grad.numpy(), g * (np.float32(3) * (x * x)))
    t.grad = None
    (t ** 1).backward(engine.tensor(g))
    np.testing.assert_array_equal(t.grad.numpy(), g)




def test_create_graph_records_pytorchs_nodes():
    x = engine.tensor([0.5, -0.2, 1.5], requires_grad=True)
    (g,) = engine.autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert node_tree(g.grad_fn) == [(0, "MulBackward0"), (1, "MulBackward1"),
                                 (2, "PowBackward0"), (3, "AccumulateGrad")]
    assert g.grad_fn.next_functions[1][0].next_functions[0][0]._saved_exponent == 2
    # and it differentiates again: d²/dx² x³ = 6x, d³/dx³ = 6
    (h,) = engine.autograd.grad(g.sum(), x, create_graph=True)
    np.testing.assert_allclose(h.detach().numpy(), [3.0, -1.2, 9.0], rtol=1e-6)
    (k,) = engine.autograd.grad(h.sum(), x)
    np.testing.assert_allclose(k.numpy(), [6.0, 6.0, 6.0])


@pytest.mark.torch
# exponents whose e - 1 and e - 2 powers ATen computes with products, a copy or a constant (the
# C library's pow and ATen's vectorised pow round apart)
@pytest.mark.parametrize("e", [3, 4, 2, 1, 2.0, 3.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_grads_and_second_grads_bit_for_bit_with_torch(e, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    xs = rng.standard_normal(4000).astype(dtype)
    gs = rng.standard_normal(4000).astype(dtype)
    vs = rng.standard_normal(4000).astype(dtype)
    res = []
    for m in (engine, torch):
        x = m.tensor(xs, requires_grad=True)
        (g,) = m.autograd.grad(x ** e, x, m.tensor(gs), create_graph=True)
        (h,) = m.autograd.grad(g, x, m.tensor(vs))
        res.append((g.detach().numpy(), h.numpy(), node_tree(g.grad_fn)))
    (g0, h0, n0), (g1, h1, n1) = res
    np.testing.assert_array_equal(g0, g1)
    np.testing.assert_array_equal(h0, h1)
    assert n0 == n1


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_power_minus_one_half_is_the_reciprocal_of_sqrt_as_atens(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    special = [0.0, -0.0, np.inf, -np.inf, -1.0, np.nan, 1e-40, 3e38, 2.0, 0.25]
    xs = np.concatenate([special, rng.standard_normal(20000) ** 2 * 10 ** rng.uniform(-20, 20,
                                                                                     20000)])
    xs = xs.astype(dtype)
    np.testing.assert_array_equal((engine.tensor(xs) ** -0.5).numpy(),
                                  (torch.tensor(xs) ** -0.5).numpy())


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_grad_of_a_square_root_power_bit_for_bit_with_torch(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    xs = (rng.standard_normal(4000) ** 2 + 1e-3).astype(dtype)
    gs = rng.standard_normal(4000).astype(dtype)
    res = []
    for m in (engine, torch):
        x = m.tensor(xs, requires_grad=True)
        (x ** 0.5).backward(m.tensor(gs))  # g * (0.5 * x ** -0.5)
        res.append(x.grad.numpy())
    np.testing.assert_array_equal(*res)
