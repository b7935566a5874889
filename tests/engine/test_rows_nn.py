"""The activation family's rows (``engine/ops/nn.py``) are whole: each has a numpy forward the
public op runs, records its node, differentiates as finite differences say, has a symbolic
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
from engine.ops import nn as family

rng = np.random.default_rng(11)
X = rng.uniform(-4.0, 4.0, (2, 5))
X[0, 0], X[1, 1] = 0.31, -0.47  # clear of every kink


def _x():
    return [X.copy()]


SAMPLES = [
    Sample("softmax", lambda a: a.softmax(1), _x(), {"dim": 1},
           lambda t, a: a.softmax(1)),
    Sample("log_softmax", lambda a: engine.log_softmax(a, 0), _x(), {"dim": 0},
           lambda t, a: t.log_softmax(a, 0)),
    Sample("leaky_relu", lambda a: F.leaky_relu(a, 0.2), _x(), {"negative_slope": 0.2},
           lambda t, a: t.nn.functional.leaky_relu(a, 0.2)),
    Sample("leaky_relu_", lambda a: F.leaky_relu(a * 1, 0.2, inplace=True), _x(),
           {"negative_slope": 0.2},
           lambda t, a: t.nn.functional.leaky_relu(a * 1, 0.2, inplace=True)),
    Sample("elu", lambda a: F.elu(a, 0.7), _x(), {"alpha": 0.7},
           lambda t, a: t.nn.functional.elu(a, 0.7)),
    Sample("elu_", lambda a: F.elu(a * 1, 0.7, inplace=True), _x(), {"alpha": 0.7},
           lambda t, a: t.nn.functional.elu(a * 1, 0.7, inplace=True)),
    Sample("gelu", lambda a: F.gelu(a, approximate="tanh"), _x(), {"approximate": "tanh"},
           lambda t, a: t.nn.functional.gelu(a, approximate="tanh")),
    Sample("silu", F.silu, _x(), {}, lambda t, a: t.nn.functional.silu(a)),
    Sample("softplus", lambda a: F.softplus(a, 2.0, 3.0), _x(),
           {"beta": 2.0, "threshold": 3.0}, lambda t, a: t.nn.functional.softplus(a, 2.0, 3.0)),
    Sample("erf", lambda a: a.erf(), _x(), {}, lambda t, a: a.erf()),
    Sample("celu", lambda a: F.celu(a, 0.6), _x(), {"alpha": 0.6},
           lambda t, a: t.nn.functional.celu(a, 0.6)),
    Sample("selu", F.selu, _x(), {}, lambda t, a: t.nn.functional.selu(a)),
    Sample("hardsigmoid", F.hardsigmoid, _x(), {}, lambda t, a: t.nn.functional.hardsigmoid(a)),
    Sample("hardswish", F.hardswish, _x(), {}, lambda t, a: t.nn.functional.hardswish(a)),
    Sample("mish", F.mish, _x(), {}, lambda t, a: t.nn.functional.mish(a)),
    Sample("logsigmoid", F.logsigmoid, _x(), {}, lambda t, a: t.nn.functional.logsigmoid(a)),
]


def test_every_row_of_the_family_has_a_sample():
    assert family_keys(family) == {s.key for s in SAMPLES}


# rules that need sympy-only constructs (function classes carrying their kink conventions and
# numpy twins, Piecewise) stay in symbolic's table, keyed by the row
KEPT_IN_SYMBOLIC = {
    **dict.fromkeys(("leaky_relu", "leaky_relu_", "elu", "elu_", "celu", "selu"),
                    "a sympy function whose derivative takes PyTorch's branch at 0"),
    **dict.fromkeys(("hardsigmoid", "hardswish"), "a sympy function with its kinks at +-3"),
    "softplus": "a sympy function with the threshold's switch to the identity",
    "erf": "sympy's erf with the engine's float erf as its numpy twin",
    "gelu": "built on that erf (or tanh) with the float32 constants' digits",
    "silu": "written with sp.exp and a tanh-based numpy twin",
    "mish": "written with sp.exp/sp.log and a numpy twin that does not overflow",
    "logsigmoid": "written with sp.exp/sp.log and a numpy twin that does not overflow",
}


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
