"""A leaf's .grad may keep the array backward produced (no copy) only when nothing else holds
it: these are the cases where keeping it would let one grad write into another."""

from __future__ import annotations

import numpy as np

import engine as torch


def test_two_leaves_fed_the_same_array_get_separate_grads():
    a = torch.ones(3, requires_grad=True)
    b = torch.ones(3, requires_grad=True)
    (a + b).sum().backward()  # AddBackward0 hands one array to both leaves
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0, 1.0]


def test_user_gradient_is_not_aliased():
    c = torch.ones(3, requires_grad=True)
    g = torch.ones(3)
    c.backward(g)
    c.grad.mul_(5)
    assert g.tolist() == [1.0, 1.0, 1.0]
    d = torch.ones(3, requires_grad=True)
    d.mul(1).backward(g)
    d.grad.zero_()
    assert g.tolist() == [1.0, 1.0, 1.0]


def test_retained_grad_and_leaf_grad_are_independent():
    x = torch.ones(2, requires_grad=True)
    y = x * 1
    y.retain_grad()
    z = y + 0
    z.sum().backward()
    x.grad.add_(10)
    assert y.grad.tolist() == [1.0, 1.0]


def test_hook_result_is_not_aliased():
    keep = torch.full((2,), 3.0)
    x = torch.ones(2, requires_grad=True)
    x.register_hook(lambda g: keep)
    (x * 2).sum().backward()
    x.grad.zero_()
    assert keep.tolist() == [3.0, 3.0]


def test_grads_accumulate_in_place_across_calls():
    w = torch.ones(2, 2, requires_grad=True)
    X = torch.ones(3, 2)
    (X @ w.t()).sum().backward()
    first = w.grad
    (X @ w.t()).sum().backward()
    assert w.grad is first and w.grad.tolist() == [[6.0, 6.0], [6.0, 6.0]]


def test_a_view_whose_base_is_shared_is_copied():
    x = torch.ones(2, 3, requires_grad=True)
    y = x * 1
    y.retain_grad()
    y.t().sum().backward()  # the leaf's grad is a transpose of y's grad array
    x.grad.zero_()
    assert y.grad.tolist() == [[1.0] * 3] * 2
