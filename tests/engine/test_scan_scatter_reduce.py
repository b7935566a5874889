"""``cummax`` / ``cummin`` / ``logcumsumexp`` and ``scatter_reduce``: hand values, finite
differences, errors, and PyTorch's values, dtypes, shapes, grads and node names."""

from __future__ import annotations

import numpy as np
import pytest
from table_checks import check_against_torch, check_finite_differences, same_error

import engine

rng = np.random.default_rng(13)
NAN, INF = float("nan"), float("inf")


def r(*shape):
    return rng.uniform(-2.0, 2.0, shape)


def distinct(*shape):
    return rng.permutation(np.linspace(-2, 2, int(np.prod(shape)))).reshape(shape)


def L(m, values):
    return m.tensor(values)


IDX = [[0, 1, 0], [1, 1, 2]]


def SR(reduce, include_self=True, dim=1, index=IDX):
    return lambda m, x, s: x.scatter_reduce(dim, L(m, index), s, reduce,
                                            include_self=include_self)


# (id, fn(lib, *leaves), arrays, node name); ties only where both libraries split them alike
CASES = [
    ("cummax", lambda m, x: m.cummax(x, 1).values, [distinct(3, 5)], "CummaxBackward0"),
    ("cummax_ties", lambda m, x: x.cummax(0).values, [np.array([1.0, 3, 3, 2, 5, 5])],
     "CummaxBackward0"),
    ("cummax_nan", lambda m, x: x.cummax(0).values,
     [np.array([0.0, -INF, 1, NAN, 2, NAN, 3])], "CummaxBackward0"),
    ("cummin", lambda m, x: x.cummin(-1).values, [distinct(2, 3, 4)], "CumminBackward0"),
    ("cummin_ties", lambda m, x: x.cummin(0).values, [np.array([[1.0, 2], [1, 0], [-1, 0]])],
     "CumminBackward0"),
    ("cummax_0d", lambda m, x: x.cummax(0).values, [np.array(2.5)], "CummaxBackward0"),
    ("cummin_empty", lambda m, x: x.cummin(0).values, [np.zeros((0, 3))], "CumminBackward0"),
    ("logcumsumexp", lambda m, x: x.logcumsumexp(1), [r(3, 5)], "LogcumsumexpBackward0"),
    ("logcumsumexp_dim0", lambda m, x: m.logcumsumexp(x, dim=0), [r(4, 2)],
     "LogcumsumexpBackward0"),
    ("logcumsumexp_inf", lambda m, x: x.logcumsumexp(0), [np.array([-INF, -INF, 1, 2])],
     "LogcumsumexpBackward0"),
    ("logcumsumexp_0d", lambda m, x: x.logcumsumexp(-1), [np.array(2.5)],
     "LogcumsumexpBackward0"),
    ("logcumsumexp_empty", lambda m, x: x.logcumsumexp(0), [np.zeros(0)],
     "LogcumsumexpBackward0"),
]
X0 = np.array([[1.0, 2, 3], [4, 5, 6]])
S0 = np.array([[10.0, 20, 30], [40, 50, 60]])
XZ = np.array([[0.0, 2, 3], [4, 0, 6]])
SZ = np.array([[0.0, 20, 30], [0, 0, 60]])
XT = np.array([[5.0, 2, 3], [4, 5, 6]])
ST = np.array([[5.0, 20, 5], [40, 5, 60]])
for _red in ("sum", "prod", "mean", "amax", "amin"):
    for _inc in (True, False):
        CASES += [
            (f"{_red}_{_inc}", SR(_red, _inc), [X0, S0], "ScatterReduceBackward0"),
            (f"{_red}_{_inc}_zeros", SR(_red, _inc), [XZ, SZ], "ScatterReduceBackward0"),
            (f"{_red}_{_inc}_ties", SR(_red, _inc), [XT, ST], "ScatterReduceBackward0"),
            (f"{_red}_{_inc}_dim0", SR(_red, _inc, 0, [[2, 0, 1, 2], [0, 0, 0, 1]]),
             [r(3, 4), r(2, 4)], "ScatterReduceBackward0"),
        ]
IDS = [c[0] for c in CASES]
SMOOTH = {"cummax_ties", "cummin_ties", "cummax_nan", "logcumsumexp_inf"}


def test_by_hand():
    out = engine.tensor([3, 1, 4, 1, 5]).cummax(0)
    assert out.values.tolist() == [3, 3, 4, 4, 5] and out.indices.tolist() == [0, 0, 2, 2, 4]
    assert repr(engine.tensor([1.0, 0.0]).cummin(0)).startswith("torch.return_types.cummin(")
    x = engine.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.cummax(0).values.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]  # the later of equal values takes over
    lse = engine.tensor([0.0, 0.0], dtype=engine.float64).logcumsumexp(0)
    assert lse.tolist() == [0.0, float(np.log(2.0))]
    x = engine.tensor(X0)
    s = engine.tensor(S0)
    idx = engine.tensor(IDX)
    assert x.scatter_reduce(1, idx, s, "sum").tolist() == [[41.0, 22.0, 3.0], [4.0, 95.0, 66.0]]
    assert x.scatter_reduce(1, idx, s, "amax", include_self=False).tolist() == \
        [[30.0, 20.0, 3.0], [4.0, 50.0, 60.0]]
    ints = engine.tensor([5, 7]).scatter_reduce(0, engine.tensor([0, 0, 1]),
                                                engine.tensor([2, 3, 4]), "mean")
    assert ints.dtype == engine.int64 and ints.tolist() == [3, 5]  # floor of 10/3 and 11/2


@pytest.mark.parametrize("name,fn,arrays,node", CASES, ids=IDS)
def test_gradient_matches_finite_differences(name, fn, arrays, node):
    if name in SMOOTH or not all(np.isfinite(a).all() for a in arrays):
        pytest.skip("finite differences need finite inputs away from ties")
    if any(k in name for k in ("amax", "amin")) and "dim0" not in name:
        pytest.skip("ties split the grad: no derivative there")
    if "prod" in name and "zeros" in name:
        pytest.skip("checked against PyTorch: a product with two zeros is flat")
    check_finite_differences(fn, arrays, name)


@pytest.mark.torch
@pytest.mark.parametrize("name,fn,arrays,node", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_pytorch(name, fn, arrays, node, dtype):
    torch = pytest.importorskip("torch")
    check_against_torch(torch, fn, arrays, node, dtype)


ERRORS = [
    lambda m: m.tensor(2.5).cummax(1),
    lambda m: m.zeros(2, 3).cummin(2),
    lambda m: m.tensor([1, 2, 3]).logcumsumexp(0),
    lambda m: m.tensor(X0).scatter_reduce(1, m.tensor(IDX), m.tensor(S0), "foo"),
    lambda m: m.tensor(X0).scatter_reduce(1, m.tensor(IDX), m.tensor(S0).float(), "sum"),
    lambda m: m.tensor(X0).scatter_reduce(1, m.tensor(IDX).float(), m.tensor(S0), "sum"),
    lambda m: m.tensor(X0).scatter_reduce(1, m.tensor(IDX) + 5, m.tensor(S0), "sum"),
]


@pytest.mark.torch
@pytest.mark.parametrize("fn", ERRORS)
def test_errors_match_pytorch(fn):
    torch = pytest.importorskip("torch")
    same_error(torch, fn)


@pytest.mark.torch
@pytest.mark.parametrize("fn", [
    lambda m: m.tensor([True, False, True]).cummin(0).values,
    lambda m: m.tensor([True, False, True]).cummin(0).indices,
    lambda m: m.tensor([[3, 1], [2, 5]]).cummax(1).indices,
    lambda m: m.tensor([5, 7]).scatter_reduce(0, m.tensor([0, 0, 1]), m.tensor([2, 3, 4]),
                                             "mean", include_self=False),
    lambda m: m.tensor([5, 7]).scatter_reduce(0, m.tensor([0, 0, 1]), m.tensor([2, 3, 4]),
                                             "amin", include_self=False),
    lambda m: m.tensor([5, 7]).scatter_reduce(0, m.tensor([0, 0, 1]), m.tensor([2, 3, 4]),
                                             "prod"),
])
def test_integer_results_match_pytorch(fn):
    torch = pytest.importorskip("torch")
    got, want = fn(engine), fn(torch)
    assert str(got.dtype) == str(want.dtype) and tuple(got.shape) == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_in_place_form():
    x = engine.tensor(X0, requires_grad=True)
    y = x * 1.0
    y.scatter_reduce_(1, engine.tensor(IDX), engine.tensor(S0), "amax")
    assert y.grad_fn.name() == "ScatterReduceBackward0"
    assert y.tolist() == [[30.0, 20.0, 3.0], [4.0, 50.0, 60.0]]
