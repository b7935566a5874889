"""Every reduction, statistics and diagonal row (``engine/ops/reduce.py``, ``reduce_stats.py``,
``diag.py``) is whole: forward, node, backward, symbolic
rule, PyTorch's values and grads."""

from __future__ import annotations

import numpy as np
from row_checks import Case, RowTests

from engine.ops import OPS, diag, reduce, reduce_stats

X = np.array([[0.5, -1.25, 2.0], [1.5, 0.75, -0.25]])
POS = np.array([[0.5, 1.25, 2.0], [1.5, 0.75, 3.0]])
SQ = np.array([[0.5, -1.25, 2.0], [1.5, 0.75, -0.25], [3.0, -2.0, 1.0]])

CASES = [
    Case("sum", lambda m, x: x.sum(), (X,), (None, False)),
    Case("sum_dim", lambda m, x: x.sum(1, keepdim=True), (X,), ((1,), True)),
    Case("mean", lambda m, x: x.mean(), (X,), (None, False)),
    Case("mean_dim", lambda m, x: m.mean(x, (0, 1)), (X,), ((0, 1), False)),
    Case("max_all", lambda m, x: x.max(), (X,)),
    Case("min_all", lambda m, x: m.min(x), (X,)),
    Case("amax", lambda m, x: x.amax(0), (X,), ((0,), False)),
    Case("amin", lambda m, x: m.amin(x, 1, True), (X,), ((1,), True)),
    Case("norm", lambda m, x: x.norm(dim=1), (X,), ((1,), False)),
    Case("norm_p", lambda m, x: x.norm(3), (X,), (None, False, 3)),
    Case("max_dim", lambda m, x: x.max(1).values, (X,), (1, False)),
    Case("min_dim", lambda m, x: m.min(x, 0, keepdim=True).values, (X,), (0, True)),
    Case("prod", lambda m, x: x.prod(), (POS,), (None, False)),
    Case("prod_dim", lambda m, x: x.prod(0), (X,), ((0,), False)),
    Case("var", lambda m, x: x.var(1), (X,), ((1,), 1, False)),
    Case("std", lambda m, x: m.std(x, correction=0), (X,), (None, 0, False)),
    Case("median", lambda m, x: x.median(), (X,)),
    Case("median_dim", lambda m, x: x.median(1).values, (X,), (1, False)),
    Case("mode", lambda m, x: m.mode(x, 0, True).values, (X,), (0, True)),
    Case("var_mean", lambda m, x: m.var_mean(x, 1)[0], (X,), ((1,), 1, False)),
    Case("std_mean", lambda m, x: m.std_mean(x, correction=0, keepdim=True)[1], (X,),
         (None, 0, True)),
    Case("trace", lambda m, x: x.trace(), (SQ,)),
    Case("diag_embed", lambda m, x: m.diag_embed(x, -1, 0, 2), (X,), (-1, 0, 2)),
    Case("logsumexp", lambda m, x: x.logsumexp(1), (X,), ((1,), False)),
]


class TestReduceRows(RowTests):
    cases = CASES
    families = (reduce, reduce_stats, diag)


def test_integer_sum_and_prod_run_in_int64_through_the_row():
    x = np.array([[1, 2], [3, 4]], dtype=np.int32)
    out, _ = OPS["sum"].fwd(x, None, False)
    assert out.dtype == np.int64 and out == 10
    out, _ = OPS["prod_dim"].fwd(x.astype(bool), (1,), False)
    assert out.dtype == np.int64 and out.tolist() == [1, 1]
