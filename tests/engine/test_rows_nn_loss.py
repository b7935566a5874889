"""The loss family's rows (``engine/ops/nn_loss.py``: the fused losses and ``embedding``) are
whole: each has a numpy forward the public op runs, records its node, differentiates as finite
differences say, has a symbolic rule giving the forward's value, and agrees with PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from rows_util import (
    Sample,
    check_backward,
    check_forward,
    check_node,
    check_rule,
    check_rule_homes,
    check_torch,
    family_keys,
)

import engine
import engine.nn.functional as F
from engine.ops import nn_loss as family

rng = np.random.default_rng(12)
LOGITS = rng.uniform(-2.0, 2.0, (3, 4))
T = np.array([2, 0, 3])
T2D = np.array([[[1, 0], [2, 2]], [[0, 1], [1, 0]]])
X2D = rng.uniform(-2.0, 2.0, (2, 3, 2, 2))
W = np.array([0.5, 1.5, 1.0, 2.0])
P = rng.uniform(0.1, 0.9, (2, 3))
Y = rng.uniform(0.0, 1.0, (2, 3))
A, B = rng.uniform(-2.0, 2.0, (2, 3)), rng.uniform(-2.0, 2.0, (2, 3))
A[0, 0], B[0, 0] = 0.25, 0.1  # one pair inside the quadratic piece
TABLE = rng.uniform(-1.0, 1.0, (5, 3))
IDX = np.array([[4, 0, 4], [1, 2, 0]])


SAMPLES = [
    Sample("nll_loss", lambda x: F.nll_loss(x, engine.tensor(T), engine.tensor(W)), [LOGITS],
           {"weight": W, "ignore_index": -100, "reduction": "mean"},
           lambda t, x: t.nn.functional.nll_loss(x, t.tensor(T), t.tensor(W)), extra=(T,)),
    Sample("nll_loss2d", lambda x: F.nll_loss(x, engine.tensor(T2D), reduction="sum",
                                              ignore_index=2), [X2D],
           {"ignore_index": 2, "reduction": "sum"},
           lambda t, x: t.nn.functional.nll_loss(x, t.tensor(T2D), reduction="sum",
                                                 ignore_index=2), extra=(T2D,)),
    Sample("mse_loss", lambda a, b: F.mse_loss(a, b), [A, B], {"reduction": "mean"},
           lambda t, a, b: t.nn.functional.mse_loss(a, b)),
    Sample("binary_cross_entropy",
           lambda p, y: F.binary_cross_entropy(p, y, engine.tensor(W[:3]), reduction="sum"),
           [P, Y], {"weight": W[:3], "reduction": "sum"},
           lambda t, p, y: t.nn.functional.binary_cross_entropy(p, y, t.tensor(W[:3]),
                                                                reduction="sum")),
    Sample("binary_cross_entropy_with_logits",
           lambda x, y: F.binary_cross_entropy_with_logits(
               x, y, pos_weight=engine.tensor(W[:3])), [A, Y],
           {"pos_weight": W[:3], "reduction": "mean"},
           lambda t, x, y: t.nn.functional.binary_cross_entropy_with_logits(
               x, y, pos_weight=t.tensor(W[:3]))),
    Sample("smooth_l1_loss", lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), [A, B],
           {"reduction": "mean", "beta": 0.5},
           lambda t, a, b: t.nn.functional.smooth_l1_loss(a, b, beta=0.5)),
    Sample("huber_loss", lambda a, b: F.huber_loss(a, b, reduction="none", delta=0.8), [A, B],
           {"reduction": "none", "delta": 0.8},
           lambda t, a, b: t.nn.functional.huber_loss(a, b, reduction="none", delta=0.8)),
    # (padding_idx zeroes its row's grad on purpose: finite differences would disagree)
    Sample("embedding", lambda w: F.embedding(engine.tensor(IDX), w), [TABLE], {},
           lambda t, w: t.nn.functional.embedding(t.tensor(IDX), w), extra=(IDX,)),
]


def test_every_row_of_the_family_has_a_sample():
    assert family_keys(family) == {s.key for s in SAMPLES}


KEPT_IN_SYMBOLIC = dict.fromkeys(("smooth_l1_loss", "huber_loss"),
                                 "sympy's Piecewise at |d| = beta (delta)")


def test_each_rows_symbolic_forward_is_in_its_row_or_kept_in_symbolic_for_a_reason():
    pytest.importorskip("sympy")
    check_rule_homes(family_keys(family), KEPT_IN_SYMBOLIC)


@pytest.mark.parametrize("s", SAMPLES, ids=str)
def test_the_public_op_runs_the_rows_forward(s):
    check_forward(s)


@pytest.mark.parametrize("s", SAMPLES, ids=str)
def test_the_public_op_records_the_rows_node(s):
    check_node(s)


@pytest.mark.parametrize("s", SAMPLES, ids=str)
def test_the_backward_agrees_with_finite_differences(s):
    check_backward(s)


@pytest.mark.parametrize("s", SAMPLES, ids=str)
def test_the_symbolic_rule_gives_the_forwards_value(s):
    pytest.importorskip("sympy")
    check_rule(s)


@pytest.mark.torch
@pytest.mark.parametrize("s", SAMPLES, ids=str)
def test_pytorch_agrees(s):
    check_torch(s)
