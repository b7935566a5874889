"""Every ordering and masking row (``engine/ops/ordering.py``) is whole: forward, node, backward,
symbolic rule, PyTorch's values and grads."""

from __future__ import annotations

import numpy as np
from row_checks import Case, RowTests

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


class TestOrderingRows(RowTests):
    cases = CASES
    families = (ordering,)


def test_a_zero_dim_input_is_its_own_sort_and_topk():
    x = np.array(1.5)
    for key, params in (("sort", (0, False)), ("topk", (1, 0, True))):
        (values, idx), attrs = OPS[key].fwd(x, *params)
        assert values == 1.5 and idx == 0 and attrs == ((), ())
