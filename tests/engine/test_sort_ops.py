"""sort, argsort, topk, cumsum, flip, masked_fill, tril and triu without PyTorch: values,
indices (ties, NaN, descending), hand-derived gradients, printing and PyTorch's error messages."""

from __future__ import annotations

import numpy as np
import pytest

import engine as torch


def grad_of(fn, x):
    x = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(fn(x), x)
    return g.numpy()


def test_sort_values_indices_and_the_grad_goes_back_to_where_each_came_from():
    x = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, -1.0]], requires_grad=True)
    r = x.sort()
    np.testing.assert_array_equal(r.values.detach().numpy(), [[1, 2, 3], [-1, 0, 5]])
    np.testing.assert_array_equal(r.indices.numpy(), [[1, 2, 0], [2, 0, 1]])
    assert r.values.grad_fn.name() == "SortBackward0" and r.indices.dtype == torch.int64
    values, _ = r  # a tuple, as torch.return_types are
    (values * torch.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[100, 1, 10], [10, 100, 1]])
    assert repr(r).startswith("torch.return_types.sort(\nvalues=tensor([[ 1.,  2.,  3.],")
    assert repr(r).endswith("indices=tensor([[1, 2, 0],\n        [2, 0, 1]]))")


def test_sort_is_stable_descending_keeps_tie_order_and_nan_is_largest():
    x = torch.tensor([1.0, 0.0, 1.0, float("nan"), 0.0])
    np.testing.assert_array_equal(x.sort().indices.numpy(), [1, 4, 0, 2, 3])
    np.testing.assert_array_equal(x.sort(descending=True).indices.numpy(), [3, 0, 2, 1, 4])
    np.testing.assert_array_equal(x.argsort(descending=True).numpy(), [3, 0, 2, 1, 4])
    np.testing.assert_array_equal(torch.argsort(x, stable=True).numpy(), [1, 4, 0, 2, 3])
    s = torch.sort(torch.tensor([[2.0, 1.0], [0.0, 3.0]], requires_grad=True), dim=0,
                   descending=True, stable=True)
    assert s.values.grad_fn.name() == "SortBackward1"  # PyTorch's stable= overload
    np.testing.assert_array_equal(s.indices.numpy(), [[0, 1], [1, 0]])
    ints = torch.tensor([3, 1, 2]).sort()
    assert ints.values.dtype == torch.int64 and ints.values.grad_fn is None


def test_topk_values_indices_grad_and_errors():
    x = torch.tensor([[0.5, 4.0, -1.0, 2.0]], requires_grad=True)
    r = x.topk(2)
    np.testing.assert_array_equal(r.values.detach().numpy(), [[4.0, 2.0]])
    np.testing.assert_array_equal(r.indices.numpy(), [[1, 3]])
    assert r.values.grad_fn.name() == "TopkBackward0"
    assert repr(r).startswith("torch.return_types.topk(\nvalues=")
    (r.values ** 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 8, 0, 4]])
    low = torch.topk(x, 3, dim=1, largest=False)
    np.testing.assert_array_equal(low.indices.numpy(), [[2, 0, 3]])
    assert torch.topk(x, 0).values.shape == (1, 0)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        x.topk(5)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\], but got 2\)"):
        x.sort(dim=2)


def test_cumsum_values_reverse_cumsum_grad_dtypes_and_double_accumulation():
    x = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    t = torch.tensor(x, requires_grad=True)
    y = t.cumsum(1)
    np.testing.assert_array_equal(y.detach().numpy(), [[1, 3, 6], [4, 9, 15]])
    assert y.grad_fn.name() == "CumsumBackward0"
    # d/dx_j sum_i w_i * cumsum_i = sum_{i >= j} w_i
    w = np.array([1.0, 10.0, 100.0])
    np.testing.assert_array_equal(grad_of(lambda a: (a.cumsum(1) * torch.tensor(w)).sum(), x),
                                  [[111, 110, 100]] * 2)
    np.testing.assert_array_equal(grad_of(lambda a: a.cumsum(0)[0].sum(), x), [[1] * 3, [0] * 3])
    assert torch.tensor([1, 2, 3]).cumsum(0).dtype == torch.int64
    assert torch.tensor([True, True]).cumsum(0).tolist() == [1, 2]
    assert t.cumsum(0, dtype=torch.float64).dtype == torch.float64
    # float32 partial sums rounded once from double, as ATen accumulates them
    tenths = torch.tensor([0.1] * 9).cumsum(0).numpy()
    want = np.cumsum(np.full(9, np.float32(0.1), dtype=np.float64)).astype(np.float32)
    np.testing.assert_array_equal(tenths, want)
    s = torch.tensor(2.0, requires_grad=True)
    assert s.cumsum(0).item() == 2.0 and grad_of(lambda a: a.cumsum(0) * 3, 2.0) == 3.0


def test_flip_is_a_copy_and_flips_the_grad_back():
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    y = x.flip(1)
    np.testing.assert_array_equal(y.detach().numpy(), [[3, 2, 1], [6, 5, 4]])
    assert y.grad_fn.name() == "FlipBackward0"
    y2 = torch.flip(x, [0, 1])
    np.testing.assert_array_equal(y2.detach().numpy(), [[6, 5, 4], [3, 2, 1]])
    w = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    (y2 * w).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[6, 5, 4], [3, 2, 1]])
    d = x.detach().flip(0)
    d[0, 0] = 100.0
    assert x[1, 0].item() == 4.0  # not a view, as in PyTorch
    with pytest.raises(RuntimeError, match="dim 1 appears multiple times in the list of dims"):
        x.flip(1, -1)


def test_masked_fill_values_grad_broadcast_value_tensor_and_in_place():
    x = torch.tensor([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]], requires_grad=True)
    y = x.masked_fill(x < 0, 0.0)
    np.testing.assert_array_equal(y.detach().numpy(), [[1, 0, 3], [0, 5, 0]])
    assert y.grad_fn.name() == "MaskedFillBackward0"
    (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 0, 2], [0, 2, 0]])
    inf = x.masked_fill(torch.tensor([False, True, False]), float("-inf"))
    np.testing.assert_allclose(inf.softmax(1).detach().numpy()[:, 1], [0, 0])
    v = torch.tensor(7.0, requires_grad=True)
    z = x.masked_fill(torch.tensor([[True], [False]]), v)  # row 0 filled with v
    assert z.grad_fn.name() == "MaskedFillBackward1"
    gx, gv = torch.autograd.grad((z * torch.arange(6.0).view(2, 3)).sum(), [x, v])
    np.testing.assert_array_equal(gx.numpy(), [[0, 0, 0], [3, 4, 5]])
    assert gv.item() == 0 + 1 + 2 and gv.shape == ()
    h = x * 1
    h.masked_fill_(h > 2, -1.0)
    assert h._version == 1 and h.grad_fn.name() == "MaskedFillBackward0"
    (g,) = torch.autograd.grad(h.sum(), x)
    np.testing.assert_array_equal(g.numpy(), [[1, 1, 0], [1, 0, 1]])
    assert torch.tensor([1, 2]).masked_fill(torch.tensor([True, False]), 9).tolist() == [9, 2]
    with pytest.raises(RuntimeError, match="only supports boolean masks, but got mask with dtype "
                                           "long int"):
        x.masked_fill(torch.tensor([1, 0, 1]), 0.0)
    with pytest.raises(RuntimeError, match=r"only supports a 0-dimensional value tensor, but got "
                                           r"tensor with 1 dimension\(s\)\."):
        x.masked_fill(x > 0, torch.ones(3))


@pytest.mark.parametrize("k", [0, 1, -1, 3, -3])
def test_tril_triu_against_the_index_rule(k):
    m = torch.arange(1.0, 13.0).view(3, 4).requires_grad_()
    rows, cols = np.indices((3, 4))
    lower, upper = cols - rows <= k, cols - rows >= k
    lo, up = m.tril(k), torch.triu(m, diagonal=k)
    np.testing.assert_array_equal(lo.detach().numpy(), np.where(lower, m.detach().numpy(), 0))
    np.testing.assert_array_equal(up.detach().numpy(), np.where(upper, m.detach().numpy(), 0))
    assert (lo.grad_fn.name(), up.grad_fn.name()) == ("TrilBackward0", "TriuBackward0")
    (g,) = torch.autograd.grad((lo * 2 + up).sum(), m)
    np.testing.assert_array_equal(g.numpy(), 2 * lower + upper)


def test_tril_on_batches_ints_and_the_1d_error():
    b = torch.ones(2, 3, 3).tril()
    np.testing.assert_array_equal(b.numpy(), np.broadcast_to(np.tril(np.ones((3, 3))), (2, 3, 3)))
    assert torch.ones(2, 2, dtype=torch.int64).triu().dtype == torch.int64
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2 dimensions"):
        torch.ones(3).tril()
    with pytest.raises(RuntimeError, match="triu: input tensor must have at least 2 dimensions"):
        torch.tensor(1.0).triu()


def test_causal_attention_mask_pattern():
    """The tutorial use: scores.masked_fill(tril == 0, -inf).softmax(-1) attends backwards."""
    torch.manual_seed(0)
    scores = torch.randn(4, 4, requires_grad=True)
    causal = torch.tril(torch.ones(4, 4))
    att = scores.masked_fill(causal == 0, float("-inf")).softmax(-1)
    a = att.detach().numpy()
    assert np.all(np.triu(a, 1) == 0) and np.allclose(a.sum(1), 1)
    att[:, 0].sum().backward()
    assert np.all(np.triu(scores.grad.numpy(), 1) == 0)
