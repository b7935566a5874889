"""Every row of ``engine.ops.views`` is its op's home: its forward is what the public op runs,
the node it records is the row's, its backward agrees with finite differences, its symbolic rule
reproduces it, and PyTorch 2.13 agrees (``row_checks``). (``clamp_max`` and ``logsumexp``,
once beside their public functions in ``engine.more_ops``, are checked with their families.)

``stale_multi_view`` has no forward: it stands for a view that already holds its values and
only raises PyTorch's error in backward. The symbolic rules of ``copy_slices`` (it replays the
wrapped op's node with symbolic's own table) and ``stale_multi_view`` stay in
``symbolic.rules_views``."""

from __future__ import annotations

import numpy as np
import pytest
from row_checks import Case, RowTests, family

from engine import views as view_ops
from engine.ops import OPS, views

rng = np.random.default_rng(5)
X = rng.standard_normal((3, 4))
LIN = dict(eps=0.5)  # linear in the differentiable inputs: any step is exact


def _rebased_view(lib, x):
    y = x * 1
    v = y[0]
    y.mul_(2)  # v now reads its region of y's new history: AsStridedBackward0
    return v


def _written_through_view(lib, x):
    y = x * 1
    y[0].mul_(2)  # y's history becomes CopySlices around the MulBackward0 of its first row
    return y


CASES = [
    Case("copy_slices", _written_through_view, (X,), (None, np.arange(4)),
         args=lambda x: (x, 2 * x[0]), sym_args=lambda x: (x, 2.0), **LIN),
    Case("as_strided", _rebased_view, (X,), (np.arange(4), (4,)), args=lambda x: (2 * x,),
         **LIN),
    Case("diagonal", lambda lib, x: x.diagonal(1), (X,), (1, 0, 1), **LIN),
    Case("zero", lambda lib, x: (x * 1).zero_(), (X,), **LIN),
    Case("fill", lambda lib, x: (x * 1).fill_(2.5), (X,), (2.5,), **LIN),
    Case("fill_t", lambda lib, x, v: (x * 1).fill_(v), (X, np.array(-0.5)), **LIN),
    Case("copy", lambda lib, x, s: (x * 1).copy_(s), (X, X[1] * 3)),
]


class TestViewRows(RowTests):
    cases = CASES
    families = (views,)
    elsewhere = no_forward = frozenset({"stale_multi_view"})  # see the test below
    kept_in_symbolic = {
        "copy_slices": "it replays the wrapped op's node with symbolic's own table",
        "stale_multi_view": "it has no forward: its rule only raises PyTorch's error",
    }


def test_the_rows_left_beside_their_public_functions_are_checked_with_their_families():
    assert not family(view_ops)
    assert OPS["clamp_max"].fwd.__module__ == "engine.ops.elementwise"
    assert OPS["logsumexp"].fwd.__module__ == "engine.ops.reduce"


def test_the_stale_row_raises_pytorchs_error_in_backward():
    import engine

    x = engine.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x * 1
    a, _ = y.split(2)
    y.mul_(2)
    assert a.grad_fn.name() == OPS["stale_multi_view"].name
    with pytest.raises(RuntimeError, match="Output 0 of Split is a view and its base or "
                                           "another view of its base has been modified inplace"):
        a.sum().backward()
