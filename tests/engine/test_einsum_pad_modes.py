"""``einsum`` and ``F.pad``'s reflect / replicate / circular modes: hand values, finite
differences, errors, and PyTorch's values, dtypes, shapes, grads and node names."""

from __future__ import annotations

import numpy as np
import pytest
from table_checks import check_against_torch, check_finite_differences, same_error

import engine

rng = np.random.default_rng(5)
NAN, INF = float("nan"), float("inf")


def r(*shape):
    return rng.uniform(-2.0, 2.0, shape)


def E(eq):
    return lambda m, *ts: m.einsum(eq, *ts)


# (id, fn(lib, *leaves), arrays, node name)
EINSUM = [
    ("matmul", E("ij,jk->ik"), [r(3, 4), r(4, 5)], "ViewBackward0"),
    ("matmul_transposed_out", E("ij,jk->ki"), [r(3, 4), r(4, 5)], "ViewBackward0"),
    ("implicit", E("ij,jk"), [r(2, 3), r(3, 2)], "ViewBackward0"),
    ("dot", E("i,i"), [r(4), r(4)], "ViewBackward0"),
    ("full_contraction", E("ij,kj->"), [r(2, 3), r(4, 3)], "ViewBackward0"),
    ("ellipsis_broadcast", E("...j,jk->...k"), [r(2, 3, 4), r(4, 5)], "ViewBackward0"),
    ("three_operands", E("ij,jk,kl->il"), [r(3, 4), r(4, 2), r(2, 2)], "ViewBackward0"),
    ("trace", E("ii"), [r(3, 3)], "SumBackward1"),
    ("diagonal", E("ii->i"), [r(3, 3)], "PermuteBackward0"),
    ("repeated_in_3d", E("iij->ji"), [r(3, 3, 2)], "PermuteBackward0"),
    ("transpose", E("ij->ji"), [r(3, 4)], "PermuteBackward0"),
    ("identity", E("ij"), [r(3, 4)], "PermuteBackward0"),
    ("sum", E("ij->"), [r(3, 4)], "SumBackward1"),
    ("column_sum", E("ij->j"), [r(3, 4)], "SumBackward1"),
    ("outer", E("i,j->ij"), [r(3), r(4)], "MulBackward0"),
    ("hadamard", E("ij,ij->ij"), [r(2, 3), r(2, 3)], "MulBackward0"),
    ("broadcast_mul", E("ab,ab->ba"), [r(2, 1), r(1, 3)], "MulBackward0"),
    ("batched", E("bij,bjk->bik"), [r(2, 3, 4), r(2, 4, 5)], "ViewBackward0"),
    ("batch_broadcast", E("bij,bjk->bki"), [r(2, 3, 4), r(1, 4, 5)], "ViewBackward0"),
    ("mixed_axes", E("ijk,jil->kl"), [r(2, 3, 4), r(3, 2, 5)], "ViewBackward0"),
    ("size_one_contracted", E("ij,j->i"), [r(3, 4), r(1)], "ViewBackward0"),
    ("uppercase", E("A,A->"), [r(4), r(4)], "ViewBackward0"),
    ("ellipsis_middle", E("b...i,b...i->b..."), [r(2, 3, 4), r(2, 3, 4)], "ViewBackward0"),
    ("ellipsis_summed", E("ab...,bc->..."), [r(2, 3, 4, 2), r(3, 2)], "ViewBackward0"),
    ("zero_d", E(""), [np.array(1.5)], "PermuteBackward0"),
    ("spaces", E(" i j , j k -> i k "), [r(2, 3), r(3, 2)], "ViewBackward0"),
    ("empty_contraction", E("ij,jk->ik"), [r(2, 0), r(0, 3)], "ViewBackward0"),
    ("empty_outer", E("i,j->ij"), [r(0), r(3)], "MulBackward0"),
    ("sublists", lambda m, a, b: m.einsum(a, [0, 1], b, [1, 2], [0, 2]), [r(2, 3), r(3, 4)],
     "ViewBackward0"),
    ("sublists_implicit_ellipsis", lambda m, a, b: m.einsum(a, [..., 27], b, [27, 0]),
     [r(2, 3), r(3, 4)], "ViewBackward0"),
    ("sublist_transpose", lambda m, a: m.einsum(a, [3, 2]), [r(2, 3)], "PermuteBackward0"),
    ("non_finite", E("ij,jk->ik"), [np.array([[INF, 1.0], [0.0, -2.0]]),
                                    np.array([[1.0, NAN], [0.5, 2.0]])], "ViewBackward0"),
]

PAD = []
for _mode in ("reflect", "replicate", "circular"):
    _node = {"reflect": "ReflectionPad{}DBackward0", "replicate": "ReplicationPad{}DBackward0",
             "circular": "CopySlices"}[_mode]
    PAD += [
        (f"{_mode}_1d", lambda m, x, mode=_mode: m.nn.functional.pad(x, (2, 1), mode=mode),
         [r(2, 2, 3)], _node.format(1)),
        (f"{_mode}_1d_unbatched",
         lambda m, x, mode=_mode: m.nn.functional.pad(x, (1, 1), mode=mode),
         [r(2, 3)], _node.format(1)),
        (f"{_mode}_crop", lambda m, x, mode=_mode: m.nn.functional.pad(x, (-1, 2), mode=mode),
         [r(1, 2, 3)], _node.format(1)),
        (f"{_mode}_2d", lambda m, x, mode=_mode: m.nn.functional.pad(x, (1, 2, 2, 0), mode=mode),
         [r(1, 2, 3, 3)], _node.format(2)),
        (f"{_mode}_2d_unbatched",
         lambda m, x, mode=_mode: m.nn.functional.pad(x, (1, 1, 1, 1), mode=mode),
         [r(2, 2, 3)], _node.format(2)),
        (f"{_mode}_3d",
         lambda m, x, mode=_mode: m.nn.functional.pad(x, (1, 0, 0, 1, 1, 1), mode=mode),
         [r(1, 1, 2, 2, 3)], _node.format(3)),
        (f"{_mode}_non_finite", lambda m, x, mode=_mode: m.nn.functional.pad(x, (1, 1), mode=mode),
         [np.array([[INF, NAN, -1.0]])], _node.format(1)),
    ]
CASES = EINSUM + PAD
IDS = [c[0] for c in CASES]


def test_einsum_by_hand():
    a = engine.tensor([[1.0, 2.0], [3.0, 4.0]])
    b = engine.tensor([[0.0, 1.0], [1.0, 0.0]])
    assert engine.einsum("ij,jk->ik", a, b).tolist() == [[2.0, 1.0], [4.0, 3.0]]
    assert engine.einsum("ii", a).item() == 5.0
    assert engine.einsum("ij->j", a).tolist() == [4.0, 6.0]
    assert engine.einsum("i,j->ij", [a[0], a[1]]).tolist() == [[3.0, 4.0], [6.0, 8.0]]
    assert engine.einsum("ij,ij->", a, a).item() == 30.0
    ints = engine.tensor([[1, 2], [3, 4]])
    out = engine.einsum("ij,jk->ik", ints, ints)
    assert out.dtype == engine.int64 and out.tolist() == [[7, 10], [15, 22]]


def test_pad_modes_by_hand():
    F = engine.nn.functional
    x = engine.tensor([[[0.0, 1.0, 2.0]]])
    assert F.pad(x, (2, 2), mode="reflect").tolist() == [[[2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0]]]
    assert F.pad(x, (2, 1), mode="replicate").tolist() == [[[0.0, 0.0, 0.0, 1.0, 2.0, 2.0]]]
    assert F.pad(x, (2, 1), mode="circular").tolist() == [[[1.0, 2.0, 0.0, 1.0, 2.0, 0.0]]]
    y = x.clone().requires_grad_()
    F.pad(y, (2, 2), mode="reflect").sum().backward()
    assert y.grad.tolist() == [[[2.0, 3.0, 2.0]]]  # 0 and 2 are copied twice, 1 three times
    n = engine.tensor([[1, 2]])
    assert F.pad(n, (1, 1), mode="replicate").tolist() == [[1, 1, 2, 2]]


@pytest.mark.parametrize("name,fn,arrays,node", CASES, ids=IDS)
def test_gradient_matches_finite_differences(name, fn, arrays, node):
    if not all(np.isfinite(a).all() for a in arrays):
        pytest.skip("finite differences need finite inputs")
    check_finite_differences(fn, arrays, name)


@pytest.mark.torch
@pytest.mark.parametrize("name,fn,arrays,node", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_pytorch(name, fn, arrays, node, dtype):
    torch = pytest.importorskip("torch")
    check_against_torch(torch, fn, arrays, node, dtype)


ERRORS = [
    lambda m: m.einsum("ij,jk->ik", m.ones(2, 3)),
    lambda m: m.einsum("i", m.ones(2), m.ones(2)),
    lambda m: m.einsum("ij,jk->ix", m.ones(2, 3), m.ones(3, 2)),
    lambda m: m.einsum("ij,ik->ik", m.ones(3, 4), m.ones(4, 5)),
    lambda m: m.einsum("ij->iij", m.ones(3, 4)),
    lambda m: m.einsum("ii", m.ones(4, 3)),
    lambda m: m.einsum("ijk", m.ones(3, 4)),
    lambda m: m.einsum("i...jk", m.ones(3, 4)),
    lambda m: m.einsum("i.j", m.ones(3, 4)),
    lambda m: m.einsum("i1", m.ones(3, 4)),
    lambda m: m.einsum("ij,jk->ik", m.ones(2, 3), m.ones(3, 2, dtype=m.int64)),
    lambda m: m.einsum(m.ones(2, 3), [0, 60]),
    lambda m: m.nn.functional.pad(m.ones(1, 2, 3), (3, 3), mode="reflect"),
    lambda m: m.nn.functional.pad(m.ones(1, 2, 3, 3), (1, 1, 3, 3), mode="reflect"),
    lambda m: m.nn.functional.pad(m.ones(1, 2, 3), (4, 0), mode="circular"),
    lambda m: m.nn.functional.pad(m.ones(3), (1, 1), mode="replicate"),
    lambda m: m.nn.functional.pad(m.ones(1, 2, 3), (1,), mode="reflect"),
    lambda m: m.nn.functional.pad(m.ones(1, 0, 3), (1, 1), mode="replicate"),
    lambda m: m.nn.functional.pad(m.ones(1, 2, 0, 3), (1, 1, 1, 1), mode="reflect"),
    lambda m: m.nn.functional.pad(m.ones(1, 2, 3), (1, 1), mode="reflect", value=2.0),
    lambda m: m.nn.functional.pad(m.ones(1, 2, 3), (1, 1), mode="mirror"),
    lambda m: m.nn.functional.pad(m.ones(2, 3, dtype=m.bool), (1, 1), mode="reflect"),
]


@pytest.mark.torch
@pytest.mark.parametrize("fn", ERRORS)
def test_errors_match_pytorch(fn):
    torch = pytest.importorskip("torch")
    same_error(torch, fn)


@pytest.mark.torch
@pytest.mark.parametrize("fn", [
    lambda m: m.einsum("ij,jk->ik", m.tensor([[1, 2]]), m.tensor([[3], [4]])),
    lambda m: m.einsum("bij->bji", m.zeros(0, 2, 3)),
    lambda m: m.nn.functional.pad(m.tensor([[1, 2, 3]]), (2, 1), mode="reflect"),
    lambda m: m.nn.functional.pad(m.tensor([[True, False]]), (1, 1), mode="circular"),
    lambda m: m.nn.functional.pad(m.zeros(0, 2, 3), (1, 1), mode="replicate"),
])
def test_integer_and_empty_results_match_pytorch(fn):
    torch = pytest.importorskip("torch")
    got, want = fn(engine), fn(torch)
    assert str(got.dtype) == str(want.dtype) and tuple(got.shape) == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
