"""index_add / index_copy / index_fill and scatter / scatter_add: hand values, finite
differences, errors, in-place forms, and PyTorch's values, dtypes, shapes, grads and node
names."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck_util import engine_grads, numeric_grads

import engine

rng = np.random.default_rng(11)
NAN, INF = float("nan"), float("inf")


def r(*shape):
    return rng.uniform(-2.0, 2.0, shape)


def L(m, values):
    return m.tensor(values)


# (id, function of module m and its leaves, input arrays, node name); indices never repeat
# where a write overwrites (PyTorch leaves the winner unspecified there)
CASES = [
    ("index_add", lambda m, x, s: x.index_add(0, L(m, [2, 0, 2]), s), [r(3, 2), r(3, 2)],
     "IndexAddBackward0"),
    ("index_add_alpha", lambda m, x, s: m.index_add(x, 1, L(m, [1]), s, alpha=-2.5),
     [r(2, 3), r(2, 1)], "IndexAddBackward0"),
    ("index_add_neg_dim", lambda m, x, s: x.index_add(-1, L(m, [2, 0]), s),
     [r(2, 3), r(2, 2)], "IndexAddBackward0"),
    ("index_add_empty", lambda m, x, s: x.index_add(0, L(m, []).long(), s), [r(2, 3), r(0, 3)],
     "IndexAddBackward0"),
    ("index_copy", lambda m, x, s: x.index_copy(1, L(m, [2, 0]), s), [r(2, 3), r(2, 2)],
     "IndexCopyBackward0"),
    ("index_copy_3d", lambda m, x, s: m.index_copy(x, 1, L(m, [1]), s), [r(2, 3, 2), r(2, 1, 2)],
     "IndexCopyBackward0"),
    ("index_fill", lambda m, x: x.index_fill(0, L(m, [1, 1]), -0.5), [r(3, 2)],
     "IndexFillBackward0"),
    ("index_fill_nan", lambda m, x: x.index_fill(1, L(m, [-2]), NAN), [r(2, 2)],
     "IndexFillBackward0"),
    ("index_fill_t", lambda m, x, v: m.index_fill(x, 1, L(m, [0, 2]), v), [r(2, 3), r()],
     "IndexFillBackward1"),
    ("scatter", lambda m, x, s: x.scatter(1, L(m, [[2, 0], [1, 0]]), s), [r(2, 3), r(2, 2)],
     "ScatterBackward0"),
    ("scatter_dim0", lambda m, x, s: m.scatter(x, 0, L(m, [[1, 0, 2]]), s), [r(3, 3), r(1, 3)],
     "ScatterBackward0"),
    ("scatter_value", lambda m, x: x.scatter(0, L(m, [[1, 0, 1]]), 0.25), [r(2, 3)],
     "ScatterBackward1"),
    ("scatter_value_kw", lambda m, x: x.scatter(1, L(m, [[0], [2]]), value=INF), [r(2, 3)],
     "ScatterBackward1"),
    ("scatter_add", lambda m, x, s: x.scatter_add(0, L(m, [[1, 0, 1], [1, 1, 0]]), s),
     [r(2, 3), r(2, 3)], "ScatterAddBackward0"),
    ("scatter_add_fn", lambda m, x, s: m.scatter_add(x, 1, L(m, [[0, 0], [2, 2]]), s),
     [r(2, 3), r(2, 2)], "ScatterAddBackward0"),
]
IDS = [c[0] for c in CASES]


def _finite_part(m, out):
    """``out`` with its non-finite (filled) entries replaced by 0, still differentiable."""
    keep = m.tensor(np.isfinite(out.detach().numpy()))
    return m.where(keep, out, m.tensor(0.0, dtype=out.dtype))


@pytest.mark.parametrize("name,fn,arrays,node", CASES, ids=IDS)
def test_gradient_matches_finite_differences(name, fn, arrays, node):
    def f(*ts):
        return _finite_part(engine, fn(engine, *ts)) * 1.5

    numeric, probe = numeric_grads(f, arrays)
    ts, grads = engine_grads(f, arrays, probe)
    for t, g, n in zip(ts, grads, numeric):
        assert g.shape == t.shape
        np.testing.assert_allclose(g.numpy(), n, rtol=1e-5, atol=1e-7, err_msg=name)


def test_by_hand():
    x = engine.zeros(3, 2)
    src = engine.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    i = engine.tensor([2, 0, 2])
    assert x.index_add(0, i, src).tolist() == [[3.0, 4.0], [0.0, 0.0], [6.0, 8.0]]
    assert x.index_add(0, i, src, alpha=2).tolist() == [[6.0, 8.0], [0.0, 0.0], [12.0, 16.0]]
    assert x.index_copy(0, engine.tensor([1, 0, 2]), src).tolist() == \
        [[3.0, 4.0], [1.0, 2.0], [5.0, 6.0]]
    assert x.index_fill(1, engine.tensor([1]), 7.0).tolist() == [[0.0, 7.0]] * 3
    y = engine.zeros(2, 3)
    idx = engine.tensor([[2, 0, 1]])
    assert y.scatter(1, idx, engine.tensor([[1.0, 2.0, 3.0]])).tolist() == \
        [[2.0, 3.0, 1.0], [0.0, 0.0, 0.0]]
    assert y.scatter_add(1, engine.tensor([[0, 0, 0]]), engine.ones(1, 3)).tolist() == \
        [[3.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    n = engine.tensor([1, 2, 3])
    assert n.index_add(0, engine.tensor([0]), engine.tensor([5])).tolist() == [6, 2, 3]
    assert n.index_fill(0, engine.tensor([1]), 2.7).tolist() == [1, 2, 3]


def test_in_place_forms_record_the_same_nodes():
    x = engine.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 1.0
    y.index_fill_(0, engine.tensor([0]), 0.0)
    assert y.grad_fn.name() == "IndexFillBackward0" and y.tolist() == [[0.0, 0.0], [3.0, 4.0]]
    y.scatter_add_(1, engine.tensor([[1], [1]]), engine.ones(2, 1))
    assert y.grad_fn.name() == "ScatterAddBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0], [1.0, 1.0]]


@pytest.mark.parametrize("fn, kind, message", [
    (lambda x: x.index_add(0, engine.tensor([0.0]), engine.ones(1, 4)), RuntimeError,
     "index_add_\\(\\): Expected dtype int32/int64 for index but got: Float"),
    (lambda x: x.index_add(0, engine.tensor([0, 5]), engine.ones(2, 4)), RuntimeError,
     "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda x: x.index_add(0, engine.tensor([0, 2]), engine.ones(2, 3)), RuntimeError,
     "source tensor shape must match self tensor shape, excluding the specified dimension. "
     "Got self.shape = \\[3, 4\\] source.shape = \\[2, 3\\]"),
    (lambda x: x.index_add(0, engine.tensor([[0]]), engine.ones(1, 4)), IndexError,
     "Index is supposed to be a vector, but got dim: 2"),
    (lambda x: x.index_copy(0, engine.tensor([0]), engine.ones(1, 4, dtype=engine.float64)),
     RuntimeError, "index_copy_\\(\\): self and source expected to have the same dtype, but got "
     "\\(self\\) Float and \\(source\\) Double"),
    (lambda x: x.index_fill(0, engine.tensor([0]), engine.tensor([1.0])), RuntimeError,
     "index_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension"),
    (lambda x: x.scatter(0, engine.tensor([[0.0]]), engine.ones(1, 1)), RuntimeError,
     "scatter\\(\\): Expected dtype int32/int64 for index"),
    (lambda x: x.index_add(1, engine.tensor([-1]), engine.ones(3, 1)), RuntimeError,
     "index -1 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.index_copy(1, engine.tensor([-1]), engine.ones(3, 1)), IndexError,
     "index_copy_\\(\\): index -1 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.scatter_add(1, engine.tensor([[-1]]), engine.ones(1, 1)), RuntimeError,
     "index -1 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.scatter(0, engine.tensor([[7]]), engine.ones(1, 1)), RuntimeError,
     "index 7 is out of bounds for dimension 0 with size 3"),
    (lambda x: x.scatter(0, engine.tensor([[0]]), engine.ones(1, 1, dtype=engine.float64)),
     RuntimeError, "scatter\\(\\): Expected self.dtype to be equal to src.dtype"),
    (lambda x: engine.tensor([1, 2]).index_add(0, engine.tensor([0]), engine.tensor([1.5])),
     RuntimeError, "index_add_\\(\\): self \\(Long\\) and source \\(Float\\) must have the same "
     "scalar type"),
])
def test_errors(fn, kind, message):
    with pytest.raises(kind, match=message):
        fn(engine.ones(3, 4))


@pytest.mark.torch
@pytest.mark.parametrize("name,fn,arrays,node", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_grads_and_nodes_match_pytorch(name, fn, arrays, node, dtype):
    torch = pytest.importorskip("torch")
    arrays = [a.astype(dtype) for a in arrays]
    outs = []
    for m in (engine, torch):
        ts = [m.tensor(a, requires_grad=True) for a in arrays]
        out = fn(m, *ts)
        w = m.tensor(np.arange(out.numel(), dtype=dtype).reshape(tuple(out.shape)) - 2.5)
        (_finite_part(m, out) * w).sum().backward()
        outs.append((out, [t.grad for t in ts]))
    (eo, eg), (to, tg) = outs
    assert eo.grad_fn.name() == to.grad_fn.name() == node
    assert str(eo.dtype) == str(to.dtype) and tuple(eo.shape) == tuple(to.shape)
    tol = dict(rtol=2e-6, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), **tol)
    for a, b in zip(eg, tg):
        assert str(a.dtype) == str(b.dtype) and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.numpy(), b.numpy(), **tol)


@pytest.mark.torch
@pytest.mark.parametrize("fn", [
    lambda m: m.tensor([1, 2, 3]).index_add(0, m.tensor([0, 0]), m.tensor([5, 6]), alpha=2),
    lambda m: m.tensor([1, 2, 3], dtype=m.int32).index_fill(0, m.tensor([1]), 2.7),
    lambda m: m.tensor([True, False]).index_fill(0, m.tensor([1]), True),
    lambda m: m.tensor([[1, 2], [3, 4]]).scatter(1, m.tensor([[1], [0]]), 9),
    lambda m: m.tensor([[1, 2], [3, 4]]).scatter_add(0, m.tensor([[1, 1]]), m.tensor([[5, 6]])),
    lambda m: m.zeros(2, 0).index_copy(1, m.tensor([]).long(), m.zeros(2, 0)),
])
def test_integer_and_empty_results_match_pytorch(fn):
    torch = pytest.importorskip("torch")
    got, want = fn(engine), fn(torch)
    assert str(got.dtype) == str(want.dtype) and tuple(got.shape) == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
