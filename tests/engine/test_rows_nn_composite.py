"""The composite rows (``engine/composite_nn.py``: conv3d, the transposed convolutions and
the flash attention kernel, registered on ``import engine``) are whole: each public op runs the
row's numpy forward, records the row's node, differentiates as finite differences say, has a
symbolic rule giving its value, and agrees with PyTorch."""

from __future__ import annotations

import numpy as np
from row_checks import Case, RowTests, functional

import engine
from engine import composite_nn, composite_rows
from engine.ops import OPS

rng = np.random.default_rng(15)


def r(*shape):
    return rng.uniform(-1.0, 1.0, shape)


CASES = [
    Case("convolution_nd", functional("conv3d", padding=(1, 0, 1)),
         (r(1, 2, 3, 2, 3), r(2, 2, 2, 1, 2), r(2))),
    Case("convolution_transpose",
         functional("conv_transpose2d", stride=2, padding=1, output_padding=1),
         (r(1, 2, 2, 3), r(2, 1, 3, 2), r(1))),
    Case("sdpa_flash", functional("scaled_dot_product_attention", is_causal=True),
         (r(1, 2, 3, 2), r(1, 2, 3, 2), r(1, 2, 3, 2))),
]


def test_the_composite_rows_are_the_ones_engine_composite_nn_registers():
    assert {composite_nn.CONV_ND, composite_nn.CONV_T, composite_nn.FLASH} == {
        OPS[c.key] for c in CASES}
    assert all(OPS[c.key].doc for c in CASES)


class TestCompositeRows(RowTests):
    cases = CASES
    families = (composite_rows,)

    def test_the_public_op_runs_the_rows_forward(self, case):
        """The row's forward, given the attrs the public op recorded, gives its output."""
        out = case.call(engine, *[engine.tensor(a, requires_grad=True) for a in case.inputs])
        want, attrs = OPS[case.key].fwd(*case.inputs, attrs=out.grad_fn._attrs)
        np.testing.assert_array_equal(out.detach().numpy(), want)
        assert attrs is out.grad_fn._attrs
