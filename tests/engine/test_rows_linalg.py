"""The linear algebra rows (``engine/ops/linalg.py``: mm, dot, mv, bmm, addmm) are whole: each
has a numpy forward the public op runs, records its node, differentiates as finite differences
say, has a symbolic rule giving the forward's value, and agrees with PyTorch. (The matrix-form
rules of these keys stay in ``symbolic.matrix_rules``: they build sympy matrix expressions.)

And an MLP training step in float32 stays in float32 throughout, forward and backward."""

from __future__ import annotations

import numpy as np
import pytest
from row_checks import Case, RowTests

import engine
import engine.nn.functional as F
from engine.ops import OPS, linalg

rng = np.random.default_rng(5)


def r(*shape):
    return rng.uniform(-2.0, 2.0, shape)


CASES = [
    Case("mm", lambda m, a, b: a @ b, (r(2, 3), r(3, 4))),
    Case("dot", lambda m, a, b: m.dot(a, b), (r(3), r(3))),
    Case("mv", lambda m, a, b: m.mv(a, b), (r(2, 3), r(3))),
    Case("bmm", lambda m, a, b: m.bmm(a, b), (r(2, 2, 3), r(2, 3, 4))),
    # the row's inputs are the bias, the input and the weight's transpose, as PyTorch records
    Case("addmm", lambda m, b, x, wt: m.nn.functional.linear(x, wt.t(), b),
         (r(2), r(4, 3), r(3, 2))),
]


class TestLinalgRows(RowTests):
    cases = CASES
    families = (linalg,)


def test_the_row_forwards_return_their_vjps_attrs():
    x, w, b = r(4, 3), r(2, 3), r(2)
    out, attrs = OPS["mm"].fwd(x, w.T)
    assert attrs == ((4, 3), (3, 2)) and out.shape == (4, 2)
    out, attrs = OPS["dot"].fwd(x[0], x[1])
    assert type(out) is np.ndarray and out.shape == () and attrs == ((3,), (3,))
    out, attrs = OPS["addmm"].fwd(b, x, w.T)
    np.testing.assert_allclose(out, x @ w.T + b, rtol=1e-12)
    assert attrs == (2,)


def _mlp_step(lib, linear):
    """One step of a 12-8-3 MLP on float32 data; every tensor the step makes and every grad that
    reaches a hooked intermediate is collected."""
    g = np.random.default_rng(0)
    X = lib.tensor(g.standard_normal((6, 12)).astype(np.float32))
    y = lib.tensor(g.integers(0, 3, 6))
    W1 = lib.tensor(g.standard_normal((8, 12)).astype(np.float32), requires_grad=True)
    b1 = lib.tensor(np.zeros(8, np.float32), requires_grad=True)
    W2 = lib.tensor(g.standard_normal((3, 8)).astype(np.float32), requires_grad=True)
    b2 = lib.tensor(np.zeros(3, np.float32), requires_grad=True)
    seen = []
    if linear:
        h = lib.nn.functional.linear(X, W1, b1).relu()
        z = lib.nn.functional.linear(h, W2, b2)
        inter = [h, z]
    else:
        a = X @ W1.t()
        ab = a + b1
        h = ab.relu()
        z = h @ W2.t() + b2
        inter = [a, ab, h, z]
    ls = z.log_softmax(1)
    loss = -ls[lib.arange(6), y].mean()
    inter += [ls, loss]
    for t in inter:
        t.register_hook(lambda grad: seen.append(grad))
    loss.backward()
    params = (W1, b1, W2, b2)
    return inter, seen, params, loss


@pytest.mark.parametrize("linear", [False, True], ids=["matmul", "linear"])
def test_an_mlp_step_in_float32_stays_float32(linear):
    inter, seen, params, _ = _mlp_step(engine, linear)
    assert [t.dtype for t in inter] == [engine.float32] * len(inter)
    assert len(seen) == len(inter)
    assert all(g.dtype == engine.float32 for g in seen)
    assert all(p.grad.dtype == engine.float32 and p.grad.shape == p.shape for p in params)
    # the weights' grads are laid out like the weights (C-ordered), as PyTorch's are
    assert all(p.grad.is_contiguous() for p in params)


@pytest.mark.torch
@pytest.mark.parametrize("linear", [False, True], ids=["matmul", "linear"])
def test_an_mlp_step_agrees_with_pytorch(linear):
    torch = pytest.importorskip("torch")
    _, _, pe, le = _mlp_step(engine, linear)
    _, _, pt, lt = _mlp_step(torch, linear)
    np.testing.assert_allclose(le.item(), lt.item(), rtol=1e-6)
    for e, t in zip(pe, pt, strict=True):
        assert e.grad.stride() == t.grad.stride()
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("rows", [8, 128, 256])
def test_a_batch_times_a_transposed_weight_is_exact_in_either_operand_order(rows):
    """x @ W.t() and linear at sizes where the forward swaps the operands (up to 128 rows) and
    where it does not: C-ordered float32 results within float32 rounding of float64's."""
    g = np.random.default_rng(1)
    x = g.standard_normal((rows, 640)).astype(np.float32)
    w = g.standard_normal((320, 640)).astype(np.float32)
    b = g.standard_normal(320).astype(np.float32)
    want = x.astype(np.float64) @ w.T.astype(np.float64)
    X, W, B = engine.tensor(x), engine.tensor(w, requires_grad=True), engine.tensor(b)
    for got, ref in ((X @ W.t(), want), (F.linear(X, W, B), want + b)):
        assert got.dtype == engine.float32 and got.is_contiguous()
        assert got.stride() == (320, 1)
        np.testing.assert_allclose(got.detach().numpy(), ref, rtol=1e-4, atol=1e-4)
    out = X @ W.t()
    out.sum().backward()
    np.testing.assert_allclose(W.grad.numpy(), np.broadcast_to(x.sum(0), (320, 640)),
                               rtol=1e-5, atol=1e-4)
