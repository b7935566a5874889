"""Views share storage and the version counter with their base; an in-place op through a view
rebases the base's history (CopySlices) and every view's (AsStridedBackward0). Hand-derived
values; the same programs against PyTorch are in test_views_differential.py."""

import numpy as np
import pytest

import engine as torch
from engine.views import index_map


def test_two_narrow_views_of_a_clone():
    # x = root.clone(); v1 *= 2 also doubles v2 (same memory), so d sum(v2) / d root[0] = 2
    root = torch.zeros(2, 2, requires_grad=True)
    x = root.clone()
    v1, v2 = x.narrow(0, 0, 1), x.narrow(0, 0, 1)
    v1.mul_(2)
    v2.sum().backward()
    assert root.grad.tolist() == [[2.0, 2.0], [0.0, 0.0]]
    assert x.grad_fn.name() == "torch::autograd::CopySlices"
    assert v2.grad_fn.name() == "AsStridedBackward0"
    assert v2.grad_fn.next_functions[0][0] is x.grad_fn
    assert repr(x).endswith("grad_fn=<CopySlices>)")


@pytest.mark.parametrize("make", [lambda b: b.unsqueeze(0), lambda b: b.view_as(b),
                                  lambda b: b.t(), lambda b: b[None], lambda b: b[...],
                                  lambda b: b.reshape(2, 1), lambda b: b.permute(0)])
def test_whole_tensor_views_carry_the_inplace_op_into_the_base(make):
    # b = 3x after the in-place op, so d sum(b*b) / dx = 2 * 3x * 3 = 18x
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    b = x * 1
    make(b).mul_(3)
    (b * b).sum().backward()
    assert x.grad.tolist() == [18.0, 36.0]


def test_neg_through_view_as_flips_the_sign_of_the_grad():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    b = x * 1
    b.view_as(b).neg_()
    (b * torch.tensor([1.0, 10.0])).sum().backward()
    assert x.grad.tolist() == [-1.0, -10.0]


def test_indexing_one_element_is_a_view_that_writes_through():
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w.grad = torch.tensor([10.0, 20.0, 30.0])
    with torch.no_grad():
        for i in range(3):
            w[i].sub_(0.1 * w.grad[i])
    assert np.allclose(w.tolist(), [0.0, 0.0, 0.0], atol=1e-6)
    assert w._version == 3 and w.is_leaf


def test_errors_for_views_that_may_not_be_modified():
    x = torch.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="^a view of a leaf Variable that requires grad"):
        x[0].mul_(2)
    with torch.no_grad():
        v = x[0]
    with pytest.raises(RuntimeError, match="^A view was created in no_grad mode"):
        v.mul_(2)
    a, _ = (x * 1).unbind()
    with pytest.raises(RuntimeError, match="^Output 0 of Unbind is a view and is being modified"):
        a.add_(1)
    _, c = (x * 1).split(1)
    with pytest.raises(RuntimeError, match="^Output 1 of Split is a view"):
        c.zero_()
    with pytest.raises(RuntimeError, match="^Can't detach views in-place"):
        (x * 1)[0].detach_()
    assert x.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_a_split_output_whose_base_changed_fails_in_backward_instead_of_a_stale_grad():
    x = torch.ones(2, 2, requires_grad=True)
    b = x * 1
    a, _ = b.unbind()
    b.mul_(2)
    with pytest.raises(RuntimeError, match="^Output 0 of Unbind is a view and its base"):
        (a * 1).sum().backward()


def test_base_requires_grad_once_a_view_writes_a_value_that_does():
    b = torch.zeros(3)
    early = b[2:]
    y = torch.tensor([2.0, 3.0], requires_grad=True)
    b[:2].copy_(y * y)
    assert b.requires_grad and early.requires_grad
    assert early.grad_fn.name() == "AsStridedBackward0"
    (b * torch.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert y.grad.tolist() == [4.0, 60.0]  # d(y^2)/dy * weight


def test_stride_contiguity_and_base():
    q = torch.zeros(2, 3)
    assert q.stride() == (3, 1) and q.t().stride() == (1, 3) and q.stride(-1) == 1
    assert q.expand(4, 2, 3).stride() == (0, 3, 1)
    assert not q.t().is_contiguous() and q.t().contiguous().is_contiguous()
    assert q.contiguous() is q
    assert q[0]._base is q and q[0][1:]._base is q and q.detach()._base is None
    assert q.t()._is_view() and not q._is_view() and not q.data._is_view()


def test_diagonal_is_a_writable_view_with_its_own_node():
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    d = x.diagonal(1)
    assert d.tolist() == [2.0, 6.0] and d.grad_fn.name() == "DiagonalBackward0"
    (d * torch.tensor([2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [[0.0, 2.0, 0.0], [0.0, 0.0, 3.0]]
    q = torch.zeros(3, 3)
    q.diagonal(-1).fill_(1)
    assert q.tolist() == [[0, 0, 0], [1, 0, 0], [0, 1, 0]]


def test_retain_grad_follows_an_inplace_op_and_hooks_stay_with_the_old_value():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    b = x * 1
    seen = []
    b.register_hook(lambda g: seen.append(g.tolist()))
    b.retain_grad()
    b.mul_(3)
    (b * 2).sum().backward()
    assert b.grad.tolist() == [2.0, 2.0]  # grad of the new b
    assert seen == [[6.0, 6.0]]  # grad of the value the hook was registered on


def test_zero_and_fill_keep_a_non_leaf_in_the_graph():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    b = (x * 1).zero_()
    assert b.requires_grad and b.grad_fn.name() == "ZeroBackward0"
    y = torch.tensor(2.0, requires_grad=True)
    (x * 1).fill_(y * 3).sum().backward()
    assert y.grad.item() == 6.0  # two elements, each 3y


def test_index_map_follows_numpy_memory_layout():
    base = np.arange(12.0).reshape(3, 4)
    assert index_map(base, base[1:, ::2].T).tolist() == [[4, 8], [6, 10]]
    assert index_map(base, base[::-1, 1]).tolist() == [9, 5, 1]
    assert index_map(base, np.zeros(2)) is None  # not base's memory
