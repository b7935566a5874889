"""The composite rows (``engine/composite_nn.py``: conv3d, the transposed convolutions and
the flash attention kernel, registered on ``import engine``) are whole: each public op runs the
row's numpy forward, records the row's node, differentiates as finite differences say, has a
symbolic rule giving its value, and agrees with PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from rows_util import (
    Sample,
    check_backward,
    check_node,
    check_rule,
    check_rule_homes,
    check_torch,
)

import engine
import engine.nn.functional as F
from engine import composite_nn
from engine.ops import OPS

rng = np.random.default_rng(15)


def r(*shape):
    return rng.uniform(-1.0, 1.0, shape)


SAMPLES = [
    Sample("convolution_nd", lambda x, w, b: F.conv3d(x, w, b, padding=(1, 0, 1)),
           [r(1, 2, 3, 2, 3), r(2, 2, 2, 1, 2), r(2)], {},
           lambda t, x, w, b: t.nn.functional.conv3d(x, w, b, padding=(1, 0, 1))),
    Sample("convolution_transpose",
           lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
           [r(1, 2, 2, 3), r(2, 1, 3, 2), r(1)], {},
           lambda t, x, w, b: t.nn.functional.conv_transpose2d(x, w, b, stride=2, padding=1,
                                                               output_padding=1)),
    Sample("sdpa_flash", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
           [r(1, 2, 3, 2), r(1, 2, 3, 2), r(1, 2, 3, 2)], {},
           lambda t, q, k, v: t.nn.functional.scaled_dot_product_attention(q, k, v,
                                                                             is_causal=True)),
]


def test_every_composite_row_has_a_sample():
    keys = {k for k, op in OPS.items() if op.doc and op.fwd is not None
            and getattr(op.vjp, "__module__", "") == "engine.composite_rows"}
    assert keys == {s.key for s in SAMPLES}
    assert {composite_nn.CONV_ND, composite_nn.CONV_T, composite_nn.FLASH} == {
        OPS[s.key] for s in SAMPLES}


KEPT_IN_SYMBOLIC = {}


def test_each_rows_symbolic_forward_is_in_its_row_or_kept_in_symbolic_for_a_reason():
    pytest.importorskip("sympy")
    check_rule_homes([s.key for s in SAMPLES], KEPT_IN_SYMBOLIC)


@pytest.mark.parametrize("s", SAMPLES, ids=str)
def test_the_public_op_runs_the_rows_forward(s):
    row = OPS[s.key]
    out = s.public(*[engine.tensor(a, requires_grad=True) for a in s.inputs])
    want, attrs = row.fwd(*s.inputs, attrs=out.grad_fn._attrs)
    np.testing.assert_array_equal(out.detach().numpy(), want)
    assert attrs is out.grad_fn._attrs


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
