"""Every row of ``engine.ops.views`` is its op's home: its forward is what the public op runs,
the node it records is the row's, its backward agrees with finite differences, its symbolic rule
reproduces it, and PyTorch 2.13 agrees (``op_row_checks``). (``clamp_max`` and ``logsumexp``,
once beside their public functions in ``engine.more_ops``, are checked with their families.)

``stale_multi_view`` has no forward: it stands for a view that already holds its values and
only raises PyTorch's error in backward. The symbolic rules of ``copy_slices`` (it replays the
wrapped op's node with symbolic's own table) and ``stale_multi_view`` stay in
``symbolic.rules_views``."""

from __future__ import annotations

import numpy as np
import pytest
from op_row_checks import Case, check_backward, check_forward, check_symbolic, check_torch, family

from engine.ops import OPS

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


def test_every_row_of_the_family_has_a_case():
    assert family("engine.ops.views") == {c.key for c in CASES} | {"stale_multi_view"}
    assert OPS["clamp_max"].fwd.__module__ == "engine.ops.elementwise"
    assert OPS["logsumexp"].fwd.__module__ == "engine.ops.reduce"


def test_no_view_row_is_registered_outside_the_table_and_only_the_stale_one_has_no_forward():
    assert not family("engine.views")
    assert OPS["stale_multi_view"].fwd is None


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


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_public_op_runs_the_rows_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_backward_agrees_with_finite_differences(case):
    check_backward(case)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_symbolic_rule_reproduces_the_forward(case):
    pytest.importorskip("sympy")
    check_symbolic(case)


@pytest.mark.torch
@pytest.mark.parametrize("case", [c for c in CASES if c.torch], ids=str)
def test_pytorch_agrees(case):
    torch = pytest.importorskip("torch")
    check_torch(torch, case)
