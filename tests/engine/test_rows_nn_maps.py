"""The gather-map rows (``engine/ops/nn_maps.py``: non-constant paddings, upsampling,
``Tensor.unfold``, im2col/col2im, the 3-d average pool) are whole: each public op runs the
rows' shared forward on the map it built, records its row's node, differentiates as finite
differences say, has the rows' symbolic forward giving its value, and agrees with PyTorch."""

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
    family_keys,
)

import engine
import engine.nn.functional as F
from engine.ops import OPS, nn_maps

rng = np.random.default_rng(14)


def r(*shape):
    return rng.uniform(-2.0, 2.0, shape)


def _f(name, *args, **kw):
    """``F.<name>(x, *args, **kw)`` on either library."""
    return (lambda x: getattr(F, name)(x, *args, **kw),
            lambda t, x: getattr(t.nn.functional, name)(x, *args, **kw))


def _sample(key, name, x, *args, **kw):
    public, ref = _f(name, *args, **kw)
    return Sample(key, public, [x], {}, ref)


def _interp(key, x, mode, **kw):
    return _sample(key, "interpolate", x, scale_factor=2, mode=mode, **kw)


SAMPLES = [
    Sample("unfold", lambda x: x.unfold(1, 2, 1), [r(2, 4)], {},
           lambda t, x: x.unfold(1, 2, 1)),
    _sample("im2col", "unfold", r(1, 2, 3, 4), 2, padding=1),
    _sample("col2im", "fold", r(1, 8, 6), (3, 4), 2),
    _sample("avg_pool3d", "avg_pool3d", r(1, 1, 3, 4, 4), 2, 1, padding=1,
            count_include_pad=False),
    _sample("circular_pad", "pad", r(1, 2, 3), (2, 1), mode="circular"),
    *[_sample(f"reflection_pad{n}d", "pad", r(1, 1, *[3] * n), (2, 1) * n, mode="reflect")
      for n in (1, 2, 3)],
    *[_sample(f"replication_pad{n}d", "pad", r(1, 1, *[2] * n), (1, 2) * n, mode="replicate")
      for n in (1, 2, 3)],
    *[_interp(f"upsample_nearest{n}d", r(1, 1, *[2] * n), "nearest") for n in (1, 2, 3)],
    *[_interp(f"upsample_nearest_exact{n}d", r(1, 1, *[2] * n), "nearest-exact")
      for n in (1, 2, 3)],
    _interp("upsample_linear1d", r(1, 2, 3), "linear", align_corners=False),
    _interp("upsample_bilinear2d", r(1, 1, 2, 3), "bilinear", align_corners=True),
    _interp("upsample_trilinear3d", r(1, 1, 2, 2, 2), "trilinear", align_corners=False),
]


def test_every_row_of_the_family_has_a_sample():
    assert family_keys(nn_maps) == {s.key for s in SAMPLES}
    assert all(nn_maps.is_gather_map(OPS[s.key]) for s in SAMPLES)


KEPT_IN_SYMBOLIC = {}


def test_each_rows_symbolic_forward_is_in_its_row_or_kept_in_symbolic_for_a_reason():
    pytest.importorskip("sympy")
    check_rule_homes(family_keys(nn_maps), KEPT_IN_SYMBOLIC)


@pytest.mark.parametrize("s", SAMPLES, ids=str)
def test_the_public_op_runs_the_rows_forward_on_its_map(s):
    row = OPS[s.key]
    assert row.fwd is not None
    out = s.public(engine.tensor(s.inputs[0], requires_grad=True))
    _, idx, w = out.grad_fn._attrs
    want, attrs = row.fwd(s.inputs[0], idx, w)
    np.testing.assert_array_equal(out.detach().numpy(), want)
    assert attrs[0] == s.inputs[0].shape and attrs[1] is idx


@pytest.mark.parametrize("s", SAMPLES, ids=str)
def test_the_public_op_records_the_rows_node(s):
    check_node(s)


@pytest.mark.parametrize("s", SAMPLES, ids=str)
def test_the_backward_agrees_with_finite_differences(s):
    check_backward(s)


@pytest.mark.parametrize("s", SAMPLES, ids=str)
def test_the_rows_symbolic_forward_gives_the_forwards_value(s):
    pytest.importorskip("sympy")
    assert OPS[s.key].sym is not None
    check_rule(s)


@pytest.mark.torch
@pytest.mark.parametrize("s", SAMPLES, ids=str)
def test_pytorch_agrees(s):
    check_torch(s)
