"""Every ordering and masking row (``engine/ops/ordering.py``) is whole: forward, node, backward,
symbolic rule, PyTorch's values and grads."""

from __future__ import annotations

import numpy as np
import pytest
from row_checks import (
    Case,
    check_backward,
    check_forward,
    check_symbolic,
    check_torch,
    family_rows,
    rows_without_sym,
)

from engine.ops import OPS, ordering

X = np.array([[0.5, -1.25, 2.0], [1.5, 0.75, -0.25]])
MASK = np.array([[True, False, False], [False, True, True]])

CASES = [
    Case("sort", lambda m, x: x.sort(1, descending=True).values, (X,), (1, True)),
    Case("sort_stable", lambda m, x: m.sort(x, dim=0, stable=True).values, (X,), (0, False)),
    Case("topk", lambda m, x: x.topk(2).values, (X,), (2, 1, True)),
    Case("cumsum", lambda m, x: x.cumsum(1), (X,), (1, np.dtype(np.float64))),
    Case("flip", lambda m, x: m.flip(x, (0, 1)), (X,), ((0, 1),)),
    Case("masked_fill", lambda m, x: x.masked_fill(m.tensor(MASK), 3.5), (X,), (~MASK, 3.5)),
    Case("masked_fill_t", lambda m, x, v: x.masked_fill(m.tensor(MASK), v),
         (X, np.array(-2.5)), (~MASK,)),
    Case("tril", lambda m, x: x.tril(), (X,), (0,)),
    Case("triu", lambda m, x: m.triu(x, 1), (X,), (1,)),
]
IDS = [c.key for c in CASES]


def test_the_cases_cover_every_row_of_the_family():
    assert family_rows(ordering) == set(IDS)


STAYS_IN_SYMBOLIC: dict = {}  # every row's symbolic rule is its sym


def test_every_rows_symbolic_rule_is_its_sym_or_a_listed_exception():
    assert rows_without_sym((ordering,)) == set(STAYS_IN_SYMBOLIC)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_and_node(case):
    check_forward(case)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_backward_agrees_with_finite_differences(case):
    check_backward(case)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_symbolic_rule_gives_the_forward(case):
    pytest.importorskip("sympy")
    check_symbolic(case)


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_against_torch(case):
    torch = pytest.importorskip("torch")
    check_torch(torch, case)


def test_a_zero_dim_input_is_its_own_sort_and_topk():
    x = np.array(1.5)
    for key, params in (("sort", (0, False)), ("topk", (1, 0, True))):
        (values, idx), attrs = OPS[key].fwd(x, *params)
        assert values == 1.5 and idx == 0 and attrs == ((), ())
