"""``matmul`` of a batch by a matrix or vector records PyTorch's graph: the batch folded into
one mm/mv by a reshape and the result's shape restored by ``_unsafe_view``
(UnsafeViewBackward0 over MmBackward0 over ViewBackward0); a vector times a matrix is
unsqueeze, mm and an in-place squeeze (SqueezeBackward4)."""

from __future__ import annotations

import numpy as np
import pytest
from node_tree import node_tree

import engine

CASES = {
    "3d @ 2d": lambda x, w, v: x @ w,
    "3d @ 1d": lambda x, w, v: x @ v,
    "non-contiguous 3d @ 2d": lambda x, w, v: x.transpose(0, 1) @ w,
    "1d @ 2d": lambda x, w, v: v @ w,
    "3d without grad @ 2d": lambda x, w, v: x.detach() @ w,
    "4d @ 2d": lambda x, w, v: x.unsqueeze(0) @ w,
    "linear on 3d": lambda x, w, v: x.matmul(w.t().t()),
    "2d @ 1d": lambda x, w, v: w.t() @ v,
}


def _run(m, name):
    rng = np.random.default_rng(5)
    x = m.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w = m.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    v = m.tensor(rng.standard_normal(4), requires_grad=True)
    y = CASES[name](x, w, v)
    (y * y).sum().backward()
    grads = [None if t.grad is None else t.grad.numpy() for t in (x, w, v)]
    return node_tree(y.grad_fn), tuple(y.shape), y.detach().numpy(), grads


def test_a_batch_times_a_matrix_is_one_mm():
    tree, shape, _, _ = _run(engine, "3d @ 2d")
    assert [n for _, n in tree][:3] == ["UnsafeViewBackward0", "MmBackward0", "ViewBackward0"]
    assert shape == (2, 3, 5)


@pytest.mark.torch
@pytest.mark.parametrize("name", CASES)
def test_graph_values_and_grads_are_torchs(name):
    torch = pytest.importorskip("torch")
    (et, es, ev, eg), (tt, ts, tv, tg) = _run(engine, name), _run(torch, name)
    assert et == tt and es == ts
    np.testing.assert_allclose(ev, tv, rtol=1e-12, atol=1e-12)
    for a, b in zip(eg, tg):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
