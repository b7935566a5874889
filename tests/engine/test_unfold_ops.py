"""``Tensor.unfold``, ``F.unfold`` (im2col) and ``F.fold`` (col2im): hand values, finite
differences, errors, and PyTorch's values, dtypes, shapes, grads and node names."""

from __future__ import annotations

import numpy as np
import pytest
from table_checks import check_against_torch, check_finite_differences, same_error

import engine

rng = np.random.default_rng(17)
NAN, INF = float("nan"), float("inf")


def r(*shape):
    return rng.uniform(-2.0, 2.0, shape)


def U(*args, **kw):
    return lambda m, x: m.nn.functional.unfold(x, *args, **kw)


CASES = [
    ("windows", lambda m, x: x.unfold(1, 2, 1), [r(2, 5)], "UnfoldBackward0"),
    ("one_window_strided", lambda m, x: x.unfold(1, 5, 2), [r(2, 5)], "UnfoldBackward0"),
    ("empty_windows", lambda m, x: x.unfold(1, 0, 1), [r(2, 5)], "UnfoldBackward0"),
    ("step_past_end", lambda m, x: x.unfold(0, 1, 3), [r(2, 5)], "UnfoldBackward0"),
    ("negative_dim", lambda m, x: x.unfold(-1, 3, 2), [r(2, 5)], "UnfoldBackward0"),
    ("zero_d", lambda m, x: x.unfold(0, 1, 1), [np.array(1.5)], "UnfoldBackward0"),
    ("twice", lambda m, x: x.unfold(1, 2, 2).unfold(0, 2, 1), [r(3, 6)], "UnfoldBackward0"),
    ("non_finite", lambda m, x: x.unfold(0, 2, 1), [np.array([INF, NAN, -1.0])],
     "UnfoldBackward0"),
    ("im2col", U(2), [r(2, 3, 4, 5)], "Im2ColBackward0"),
    ("im2col_all_options", U((2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
     [r(2, 3, 4, 5)], "Im2ColBackward0"),
    ("im2col_unbatched", U(2), [r(3, 4, 5)], "Im2ColBackward0"),
    ("im2col_padding_only", U(3, padding=2, stride=2), [r(1, 2, 3, 3)], "Im2ColBackward0"),
    ("im2col_empty_batch", U(2), [r(0, 3, 4, 5)], "Im2ColBackward0"),
    ("col2im", lambda m, x: m.nn.functional.fold(x, (4, 5), 2), [r(2, 12, 12)],
     "Col2ImBackward0"),
    ("col2im_unbatched", lambda m, x: m.nn.functional.fold(x, (4, 5), 2), [r(12, 12)],
     "Col2ImBackward0"),
    ("col2im_all_options",
     lambda m, x: m.nn.functional.fold(x, (4, 5), (2, 3), dilation=(1, 2), padding=1,
                                       stride=(2, 1)), [r(2, 18, 9)], "Col2ImBackward0"),
    ("fold_of_unfold", lambda m, x: m.nn.Fold((3, 4), 2)(m.nn.Unfold(2)(x)), [r(1, 2, 3, 4)],
     "Col2ImBackward0"),
]
IDS = [c[0] for c in CASES]


def test_by_hand():
    x = engine.arange(5.0)
    assert x.unfold(0, 2, 2).tolist() == [[0.0, 1.0], [2.0, 3.0]]
    img = engine.arange(4.0).reshape(1, 1, 2, 2)
    # one 2x2 window, then the 3x3 windows of the zero-padded image (centre tap first row)
    assert engine.nn.functional.unfold(img, 2).tolist() == [[[0.0], [1.0], [2.0], [3.0]]]
    cols = engine.nn.functional.unfold(img, 3, padding=1)
    assert cols.shape == (1, 9, 4) and cols[0, 4].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert engine.tensor([1, 2, 3]).unfold(0, 2, 1).tolist() == [[1, 2], [2, 3]]


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
    lambda m: m.ones(2, 5).unfold(1, 6, 1),
    lambda m: m.ones(2, 5).unfold(1, 2, 0),
    lambda m: m.tensor(2.0).unfold(0, 2, 1),
    lambda m: m.zeros(0, 3).unfold(0, 1, 1),
    lambda m: m.ones(2, 5).unfold(2, 1, 1),
    lambda m: m.nn.functional.unfold(m.ones(2, 3, 4, 5), 5),
    lambda m: m.nn.functional.unfold(m.ones(2, 3, 4, 5, dtype=m.int64), 2),
    lambda m: m.nn.functional.unfold(m.ones(2, 3, 4, 5), 0),
    lambda m: m.nn.functional.unfold(m.ones(2, 3, 4, 5), 2, stride=0),
    lambda m: m.nn.functional.unfold(m.ones(2, 3, 4, 5, 6), 2),
    lambda m: m.nn.functional.unfold(m.ones(4, 5), 2),
    lambda m: m.nn.functional.fold(m.ones(2, 10, 12), (4, 5), 2),
    lambda m: m.nn.functional.fold(m.ones(2, 12, 10), (4, 5), 2),
    lambda m: m.nn.functional.fold(m.ones(2, 12, 10, 1), (4, 5), 2),
    lambda m: m.nn.functional.fold(m.ones(2, 12, 12, dtype=m.int64), (4, 5), 2),
]


def test_fold_adds_overlaps_by_hand():
    ones = engine.ones(1, 4, 4)  # four 2x2 blocks of ones over a 3x3 output, stride 1
    out = engine.nn.functional.fold(ones, (3, 3), 2)
    assert out.tolist() == [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]


@pytest.mark.torch
def test_modules_print_as_pytorch():
    torch = pytest.importorskip("torch")
    for build in (lambda nn: nn.Fold((4, 5), 2), lambda nn: nn.Unfold(2, padding=1)):
        assert repr(build(engine.nn)) == repr(build(torch.nn))


@pytest.mark.torch
@pytest.mark.parametrize("fn", ERRORS)
def test_errors_match_pytorch(fn):
    torch = pytest.importorskip("torch")
    same_error(torch, fn)
