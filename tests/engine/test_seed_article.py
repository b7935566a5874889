"""Every example of the seed article, with the numbers it prints where its inputs are fixed."""

from __future__ import annotations

import numpy as np
import pytest
from seed_programs import MyReLU, relu_model

import engine as torch


def linear_model(X, Y):
    w = torch.tensor([[3.0, 1.0]], requires_grad=True)
    b = torch.tensor([[3.0]], requires_grad=True)
    Y_hat = X @ w.t() + b
    loss = torch.mean(torch.pow(Y_hat - Y, 2))
    return w, b, Y_hat, loss


def test_forward_runs_immediately():
    X = torch.tensor([[1.0, 2.0], [0.0, -1.0]])
    Y = torch.tensor([[1.0], [1.0]])
    _w, _b, Y_hat, loss = linear_model(X, Y)
    # values exist before anything else is defined: Y_hat = [3+2+3, 0-1+3] = [8, 2]
    assert Y_hat.tolist() == [[8.0], [2.0]]
    assert loss.item() == pytest.approx((49 + 1) / 2)
    assert repr(loss.data) == "tensor(25.)"


def test_graph_is_freed_after_backward_and_retain_graph_keeps_it():
    X, Y = torch.randn(10, 2), torch.randn(10, 1)
    w, _b, _Y_hat, loss = linear_model(X, Y)
    loss.backward(retain_graph=True)
    first = w.grad.clone()
    loss.backward()  # allowed: the graph was retained
    np.testing.assert_allclose(w.grad.numpy(), 2 * first.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        loss.backward()


def test_linear_model_grads_match_the_closed_form():
    rng = np.random.default_rng(3)
    Xn, Yn = rng.standard_normal((10, 2)), rng.standard_normal((10, 1))
    X, Y = torch.tensor(Xn, dtype=torch.float64), torch.tensor(Yn, dtype=torch.float64)
    w = torch.tensor([[3.0, 1.0]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([[3.0]], dtype=torch.float64, requires_grad=True)
    loss = torch.mean(torch.pow(X @ w.t() + b - Y, 2))
    loss.backward()
    r = Xn @ np.array([[3.0], [1.0]]) + 3.0 - Yn
    np.testing.assert_allclose(w.grad.numpy(), 2 / 10 * r.T @ Xn, rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), [[2 / 10 * r.sum()]], rtol=1e-12)


def test_custom_relu_function_gives_the_article_grads():
    w, b, Y_hat = relu_model(MyReLU)
    assert w.grad.tolist() == [[4.5, 4.5]]
    assert b.grad.tolist() == [[4.5]]
    assert repr(w.grad) == "tensor([[4.5000, 4.5000]])"
    assert type(Y_hat.grad_fn).__name__ == "MyReLUBackward"
    assert repr(Y_hat.grad_fn).startswith("<torch.autograd.function.MyReLUBackward object at 0x")


def test_only_leaves_keep_grad_and_non_leaf_access_warns():
    X, Y = torch.randn(10, 2), torch.randn(10, 1)
    w, b, Y_hat, loss = linear_model(X, Y)
    loss.backward()
    assert (w.is_leaf, X.is_leaf, b.is_leaf, Y.is_leaf, Y_hat.is_leaf, loss.is_leaf) == (
        True, True, True, True, False, False)
    assert w.grad is not None and b.grad is not None
    assert X.grad is None and Y.grad is None
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
        assert Y_hat.grad is None
    with pytest.warns(UserWarning):
        assert loss.grad is None


def test_leaf_status():
    a = torch.randn(10, 2)
    assert a.is_leaf
    a = torch.randn(10, 2, requires_grad=True)
    assert a.is_leaf
    c = torch.randn(10, 2, requires_grad=True).reshape(4, 5)
    assert not c.is_leaf
    assert c.grad_fn.name() == "ViewBackward0"


def test_retain_grad_and_register_hook():
    X, Y = torch.randn(10, 2), torch.randn(10, 1)
    w = torch.tensor([[3.0, 1.0]], requires_grad=True)
    b = torch.tensor([[3.0]], requires_grad=True)
    Y_hat = X @ w.t() + b
    seen = []
    Y_hat.register_hook(lambda grad: seen.append(grad.clone()))
    loss = torch.mean(torch.pow(Y_hat - Y, 2))
    loss.retain_grad()
    loss.backward()
    expected = 2 / 10 * (Y_hat.detach() - Y)
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0].numpy(), expected.numpy(), rtol=1e-6)
    assert repr(loss.grad) == "tensor(1.)"
    with pytest.warns(UserWarning):
        assert Y_hat.grad is None


def test_backward_with_gradient_weights_several_outputs():
    w = torch.tensor([1.0], requires_grad=True)
    x = torch.tensor([2.0], requires_grad=True)
    a = torch.add(w, x)
    b = torch.add(w, 1)
    y0 = torch.mul(a, b)  # dy0/dw = 5
    y1 = torch.add(a, b)  # dy1/dw = 2
    loss = torch.cat([y0, y1], dim=0)
    loss.backward(gradient=torch.tensor([1.0, 2.0]))
    assert w.grad.tolist() == [9.0]
    assert repr(w.grad) == "tensor([9.])"


def test_higher_order_derivative_of_a_quadratic():
    x = torch.tensor(0.0, requires_grad=True)
    a, b, c = torch.tensor(1.0), torch.tensor(-2.0), torch.tensor(1.0)
    y = a * torch.pow(x, 2) + b * x + c
    (dy_dx,) = torch.autograd.grad(y, x, create_graph=True)
    assert repr(dy_dx.data) == "tensor(-2.)"
    (d2y_dx2,) = torch.autograd.grad(dy_dx, x)
    assert repr(d2y_dx2.data) == "tensor(2.)"


def test_third_order_derivative():
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    y = x**4 + x.sin()
    (d1,) = torch.autograd.grad(y, x, create_graph=True)
    (d2,) = torch.autograd.grad(d1, x, create_graph=True)
    (d3,) = torch.autograd.grad(d2, x)
    assert d1.item() == pytest.approx(4 * 0.5**3 + np.cos(0.5))
    assert d2.item() == pytest.approx(12 * 0.5**2 - np.sin(0.5))
    assert d3.item() == pytest.approx(24 * 0.5 - np.cos(0.5))


def test_several_inputs_and_outputs():
    x1 = torch.tensor(1.0, requires_grad=True)
    x2 = torch.tensor(2.0, requires_grad=True)
    y1 = x1 * x2
    y2 = x1 + x2
    dy1_dx1, dy1_dx2 = torch.autograd.grad(outputs=y1, inputs=[x1, x2], retain_graph=True)
    assert (repr(dy1_dx1), repr(dy1_dx2)) == ("tensor(2.)", "tensor(1.)")
    dy12_dx1, dy12_dx2 = torch.autograd.grad(outputs=[y1, y2], inputs=[x1, x2])
    assert (repr(dy12_dx1), repr(dy12_dx2)) == ("tensor(3.)", "tensor(2.)")
    assert x1.grad is None and x2.grad is None  # autograd.grad leaves .grad alone
