"""The layer rows (``engine/ops/nn_conv.py``: convolution, constant padding, batch and layer
norm; ``engine/ops/nn_pool.py``: the pools and max_unpool) are whole: each has a numpy forward
the public op runs, records its node, differentiates as finite differences say, has a symbolic
rule giving the forward's value, and agrees with PyTorch."""

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
from engine.ops import nn_conv, nn_pool

rng = np.random.default_rng(13)
X = rng.uniform(-2.0, 2.0, (2, 2, 4, 5))
W = rng.uniform(-1.0, 1.0, (4, 1, 2, 3))
BIAS = rng.uniform(-1.0, 1.0, (4,))
X1 = rng.uniform(-2.0, 2.0, (2, 2, 6))
W1 = rng.uniform(-1.0, 1.0, (3, 2, 2))
G = rng.uniform(0.5, 1.5, (2,))
XP = rng.permutation(np.linspace(-2.0, 2.0, 40)).reshape(2, 1, 4, 5)  # one winner per window
# geometry (k, s, p, d, oh, ow, extra) of a 2x2 pool, stride 2, padding 1, ceil mode on 4x5
POOL = ((2, 2), (2, 2), (1, 1), (1, 1), 3, 3, (1, 0))
UNPOOL_IDX = np.array([[[[0, 3], [9, 7]]]])
XU = rng.uniform(-2.0, 2.0, (1, 1, 2, 2))

SAMPLES = [
    Sample("convolution", lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=(1, 0),
                                                   groups=2), [X, W, BIAS],
           {"stride": (1, 2), "padding": (1, 0), "dilation": (1, 1), "groups": 2},
           lambda t, x, w, b: t.nn.functional.conv2d(x, w, b, stride=(1, 2), padding=(1, 0),
                                                     groups=2)),
    Sample("constant_pad_nd", lambda x: F.pad(x, (2, 1, 0, 1), value=0.5), [X],
           {"pad": (2, 1, 0, 1), "value": 0.5},
           lambda t, x: t.nn.functional.pad(x, (2, 1, 0, 1), value=0.5)),
    Sample("native_batch_norm", lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
           [X, G, BIAS[:2]], {"dims": (0, 2, 3), "eps": 1e-5, "ps": (1, 2, 1, 1)},
           lambda t, x, w, b: t.nn.functional.batch_norm(x, None, None, w, b, True)),
    Sample("native_layer_norm", lambda x, w, b: F.layer_norm(x, (4, 5), w, b),
           [X, G[:1] * np.ones((4, 5)), np.full((4, 5), 0.1)],
           {"dims": (2, 3), "eps": 1e-5, "ps": (4, 5)},
           lambda t, x, w, b: t.nn.functional.layer_norm(x, (4, 5), w, b)),
    Sample("max_pool2d", lambda x: F.max_pool2d(x, 2, 2, 1, ceil_mode=True), [XP],
           {"geometry": POOL},
           lambda t, x: t.nn.functional.max_pool2d(x, 2, 2, 1, ceil_mode=True)),
    Sample("avg_pool2d", lambda x: F.avg_pool2d(x, 2, 2, 1, ceil_mode=True,
                                                count_include_pad=False), [X],
           {"geometry": POOL, "count_include_pad": False},
           lambda t, x: t.nn.functional.avg_pool2d(x, 2, 2, 1, ceil_mode=True,
                                                   count_include_pad=False)),
    Sample("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (3, 2)), [X],
           {"output_size": (3, 2)},
           lambda t, x: t.nn.functional.adaptive_avg_pool2d(x, (3, 2))),
    Sample("max_unpool2d", lambda x: F.max_unpool2d(x, engine.tensor(UNPOOL_IDX), 2), [XU],
           {"output_size": (4, 4)},
           lambda t, x: t.nn.functional.max_unpool2d(x, t.tensor(UNPOOL_IDX), 2),
           extra=(UNPOOL_IDX,)),
]
# a conv1d: the same row on a 3-d input
CONV1D = Sample("convolution", lambda x, w, b: F.conv1d(x, w, b, stride=2, dilation=2),
                [X1, W1, BIAS[:3]],
                {"stride": (2,), "padding": (0,), "dilation": (2,), "groups": 1},
                lambda t, x, w, b: t.nn.functional.conv1d(x, w, b, stride=2, dilation=2))
ALL = [*SAMPLES, CONV1D]


def test_every_row_of_the_family_has_a_sample():
    assert family_keys(nn_conv) | family_keys(nn_pool) == {s.key for s in SAMPLES}


KEPT_IN_SYMBOLIC = {}


def test_each_rows_symbolic_forward_is_in_its_row_or_kept_in_symbolic_for_a_reason():
    pytest.importorskip("sympy")
    check_rule_homes(family_keys(nn_conv) | family_keys(nn_pool), KEPT_IN_SYMBOLIC)


@pytest.mark.parametrize("s", ALL, ids=str)
def test_the_public_op_runs_the_rows_forward(s):
    check_forward(s)


@pytest.mark.parametrize("s", ALL, ids=str)
def test_the_public_op_records_the_rows_node(s):
    check_node(s)


@pytest.mark.parametrize("s", ALL, ids=str)
def test_the_backward_agrees_with_finite_differences(s):
    check_backward(s)


@pytest.mark.parametrize("s", ALL, ids=str)
def test_the_symbolic_rule_gives_the_forwards_value(s):
    pytest.importorskip("sympy")
    check_rule(s)


@pytest.mark.torch
@pytest.mark.parametrize("s", ALL, ids=str)
def test_pytorch_agrees(s):
    check_torch(s)
