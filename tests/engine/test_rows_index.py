"""Every row of ``engine.ops.index`` and ``engine.ops.scatter_reduce`` is its op's home: its
forward is what the public op runs, the node it records is the row's, its backward agrees with
finite differences, its symbolic rule reproduces it, and PyTorch 2.13 agrees (``row_checks``)."""

from __future__ import annotations

import numpy as np
from row_checks import Case, RowTests

from engine.ops import index, scatter_reduce

rng = np.random.default_rng(11)
X = rng.standard_normal((3, 4))
S = rng.standard_normal((3, 2))  # as G: PyTorch's backward refuses a src larger than the index
G = np.array([[1, 3], [0, 2], [2, 1]])  # scatter/gather positions along dim 1, none repeated
M = rng.standard_normal((3, 4)) > 0
LIN = dict(eps=0.5)  # linear in the differentiable inputs: any step is exact


def _grid(index, dim):
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid), tuple(slice(0, n) for n in index.shape)


GRID, PART = _grid(G, 1)
ALONG0 = (np.array([0, 2, 0]),)
ALONG1 = (slice(None), np.array([1, 3]))


def _reduce_case(reduce, include_self=True, **kw):
    return Case("scatter_reduce",
                lambda lib, x, s: x.scatter_reduce(1, lib.tensor(G), s, reduce,
                                                   include_self=include_self),
                (X, S), (GRID, PART, 1, reduce, include_self, G), **kw)


CASES = [
    Case("gather", lambda lib, x: x.gather(1, lib.tensor(G)), (X,), (1, G), **LIN),
    Case("index_select", lambda lib, x: x.index_select(0, lib.tensor([2, 0, 2])), (X,),
         (0, np.array([2, 0, 2])), **LIN),
    Case("masked_select", lambda lib, x: x.masked_select(lib.tensor(M)), (X,), (M,), **LIN),
    Case("roll", lambda lib, x: x.roll(1, 1), (X,), ((1,), (1,)), **LIN),
    Case("index_add", lambda lib, x, s: x.index_add(0, lib.tensor([0, 2, 0]), s, alpha=2.0),
         (X, X[::-1].copy()), (ALONG0, 2.0), **LIN),
    Case("index_copy", lambda lib, x, s: x.index_copy(1, lib.tensor([1, 3]), s),
         (X, S), (ALONG1,), **LIN),
    Case("index_fill", lambda lib, x: x.index_fill(1, lib.tensor([1, 3]), -1.5), (X,),
         (ALONG1, -1.5), **LIN),
    Case("index_fill_t", lambda lib, x, v: x.index_fill(1, lib.tensor([1, 3]), v),
         (X, np.array(0.7)), (ALONG1,), **LIN),
    Case("scatter", lambda lib, x, s: x.scatter(1, lib.tensor(G), s), (X, S), (GRID, PART),
         **LIN),
    Case("scatter_value", lambda lib, x: x.scatter(1, lib.tensor(G), 2.5), (X,), (GRID, 2.5),
         **LIN),
    Case("scatter_add", lambda lib, x, s: x.scatter_add(1, lib.tensor(G), s), (X, S),
         (GRID, PART), **LIN),
    _reduce_case("sum", **LIN),
    _reduce_case("mean", include_self=False, **LIN),
    _reduce_case("amax"),
    _reduce_case("prod", rtol=1e-12),
]


class TestIndexRows(RowTests):
    cases = CASES
    families = (index, scatter_reduce)
