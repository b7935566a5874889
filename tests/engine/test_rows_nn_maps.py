"""The gather-map rows (``engine/ops/nn_maps.py``: non-constant paddings, upsampling,
``Tensor.unfold``, im2col/col2im, the 3-d average pool) are whole: each public op runs the
rows' shared forward on the map it built, records its row's node, differentiates as finite
differences say, has the rows' symbolic forward giving its value, and agrees with PyTorch."""

from __future__ import annotations

import numpy as np
from row_checks import Case, RowTests, functional

import engine
from engine.ops import OPS, nn_maps

rng = np.random.default_rng(14)


def r(*shape):
    return rng.uniform(-2.0, 2.0, shape)


def _f(key, name, x, *args, **kw):
    """The case of ``F.<name>(x, *args, **kw)``."""
    return Case(key, functional(name, *args, **kw), (x,))


def _interp(key, x, mode, **kw):
    return _f(key, "interpolate", x, scale_factor=2, mode=mode, **kw)


CASES = [
    Case("unfold", lambda m, x: x.unfold(1, 2, 1), (r(2, 4),)),
    _f("im2col", "unfold", r(1, 2, 3, 4), 2, padding=1),
    _f("col2im", "fold", r(1, 8, 6), (3, 4), 2),
    _f("avg_pool3d", "avg_pool3d", r(1, 1, 3, 4, 4), 2, 1, padding=1, count_include_pad=False),
    _f("circular_pad", "pad", r(1, 2, 3), (2, 1), mode="circular"),
    *[_f(f"reflection_pad{n}d", "pad", r(1, 1, *[3] * n), (2, 1) * n, mode="reflect")
      for n in (1, 2, 3)],
    *[_f(f"replication_pad{n}d", "pad", r(1, 1, *[2] * n), (1, 2) * n, mode="replicate")
      for n in (1, 2, 3)],
    *[_interp(f"upsample_nearest{n}d", r(1, 1, *[2] * n), "nearest") for n in (1, 2, 3)],
    *[_interp(f"upsample_nearest_exact{n}d", r(1, 1, *[2] * n), "nearest-exact")
      for n in (1, 2, 3)],
    _interp("upsample_linear1d", r(1, 2, 3), "linear", align_corners=False),
    _interp("upsample_bilinear2d", r(1, 1, 2, 3), "bilinear", align_corners=True),
    _interp("upsample_trilinear3d", r(1, 1, 2, 2, 2), "trilinear", align_corners=False),
]


def test_every_row_of_the_family_is_a_gather_map():
    assert all(nn_maps.is_gather_map(OPS[c.key]) for c in CASES)


class TestGatherMapRows(RowTests):
    cases = CASES
    families = (nn_maps,)

    def test_the_public_op_runs_the_rows_forward(self, case):
        """The rows' shared forward, run on the map the public op built, gives its output."""
        row = OPS[case.key]
        assert row.fwd is not None
        x = case.inputs[0]
        out = case.call(engine, engine.tensor(x, requires_grad=True))
        _, idx, w = out.grad_fn._attrs
        want, attrs = row.fwd(x, idx, w)
        np.testing.assert_array_equal(out.detach().numpy(), want)
        assert attrs[0] == x.shape and attrs[1] is idx
