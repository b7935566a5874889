"""The loss family's rows (``engine/ops/nn_loss.py``: the fused losses and ``embedding``) are
whole: each has a numpy forward the public op runs, records its node, differentiates as finite
differences say, has a symbolic rule giving the forward's value, and agrees with PyTorch."""

from __future__ import annotations

import numpy as np
from row_checks import Case, RowTests, functional

from engine.ops import nn_loss

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


CASES = [
    Case("nll_loss", lambda m, x: m.nn.functional.nll_loss(x, m.tensor(T), m.tensor(W)),
         (LOGITS,), (T,), kw={"weight": W, "ignore_index": -100, "reduction": "mean"}),
    Case("nll_loss2d", lambda m, x: m.nn.functional.nll_loss(x, m.tensor(T2D), reduction="sum",
                                                             ignore_index=2),
         (X2D,), (T2D,), kw={"ignore_index": 2, "reduction": "sum"}),
    Case("mse_loss", functional("mse_loss"), (A, B), kw={"reduction": "mean"}),
    Case("binary_cross_entropy",
         lambda m, p, y: m.nn.functional.binary_cross_entropy(p, y, m.tensor(W[:3]),
                                                              reduction="sum"),
         (P, Y), kw={"weight": W[:3], "reduction": "sum"}),
    Case("binary_cross_entropy_with_logits",
         lambda m, x, y: m.nn.functional.binary_cross_entropy_with_logits(
             x, y, pos_weight=m.tensor(W[:3])),
         (A, Y), kw={"pos_weight": W[:3], "reduction": "mean"}),
    Case("smooth_l1_loss", functional("smooth_l1_loss", beta=0.5), (A, B),
         kw={"reduction": "mean", "beta": 0.5}),
    Case("huber_loss", functional("huber_loss", reduction="none", delta=0.8), (A, B),
         kw={"reduction": "none", "delta": 0.8}),
    # (padding_idx zeroes its row's grad on purpose: finite differences would disagree)
    Case("embedding", lambda m, w: m.nn.functional.embedding(m.tensor(IDX), w), (TABLE,),
         (IDX,)),
]


class TestLossRows(RowTests):
    cases = CASES
    families = (nn_loss,)
    kept_in_symbolic = dict.fromkeys(("smooth_l1_loss", "huber_loss"),
                                     "sympy's Piecewise at |d| = beta (delta)")
