"""``conv3d``, ``conv_transpose1d/2d``, ``avg_pool3d``, ``max_unpool2d`` and their modules: hand
values, finite differences (second derivatives included), errors, reprs, initial weights, and
PyTorch's values, dtypes, shapes, grads and node names."""

from __future__ import annotations

import numpy as np
import pytest
from table_checks import check_against_torch, check_finite_differences, same_error

import engine

rng = np.random.default_rng(23)
NAN, INF = float("nan"), float("inf")


def r(*shape):
    return rng.uniform(-2.0, 2.0, shape)


def F(m):
    return m.nn.functional


def unpool(*pool_args, **unpool_kw):
    def f(m, x):
        out, idx = F(m).max_pool2d(x, *pool_args, return_indices=True)
        return F(m).max_unpool2d(out, idx, *pool_args[:1], **unpool_kw)

    return f


CASES = [
    ("conv3d", lambda m, x, w: F(m).conv3d(x, w), [r(1, 2, 3, 3, 3), r(2, 2, 2, 2, 2)],
     "ConvolutionBackward0"),
    ("conv3d_all_options",
     lambda m, x, w, b: F(m).conv3d(x, w, b, stride=(1, 2, 1), padding=1, dilation=(2, 1, 1),
                                    groups=2), [r(2, 4, 4, 5, 3), r(4, 2, 2, 2, 2), r(4)],
     "ConvolutionBackward0"),
    ("conv3d_same", lambda m, x, w: F(m).conv3d(x, w, padding="same"),
     [r(1, 1, 3, 3, 3), r(2, 1, 3, 1, 3)], "ConvolutionBackward0"),
    ("conv3d_unbatched", lambda m, x, w: F(m).conv3d(x, w), [r(2, 3, 3, 3), r(1, 2, 2, 2, 2)],
     "SqueezeBackward1"),
    ("conv3d_empty_batch", lambda m, x, w: F(m).conv3d(x, w), [r(0, 2, 3, 3, 3), r(1, 2, 2, 2, 2)],
     "ConvolutionBackward0"),
    ("conv_transpose2d_empty_batch", lambda m, x, w: F(m).conv_transpose2d(x, w),
     [r(0, 2, 3, 3), r(2, 1, 2, 2)], "ConvolutionBackward0"),
    ("avg_pool3d_empty_batch", lambda m, x: F(m).avg_pool3d(x, 2), [r(0, 2, 2, 2, 2)],
     "AvgPool3DBackward0"),
    ("conv_transpose1d", lambda m, x, w: F(m).conv_transpose1d(x, w), [r(1, 4, 5), r(4, 2, 3)],
     "ConvolutionBackward0"),
    ("conv_transpose1d_strided",
     lambda m, x, w: F(m).conv_transpose1d(x, w, stride=2, output_padding=1, padding=1),
     [r(2, 4, 5), r(4, 2, 3)], "ConvolutionBackward0"),
    ("conv_transpose1d_dilated",
     lambda m, x, w, b: F(m).conv_transpose1d(x, w, b, stride=3, dilation=2),
     [r(1, 4, 5), r(4, 2, 3), r(2)], "ConvolutionBackward0"),
    ("conv_transpose1d_groups", lambda m, x, w, b: F(m).conv_transpose1d(x, w, b, groups=2),
     [r(1, 4, 5), r(4, 3, 2), r(6)], "ConvolutionBackward0"),
    ("conv_transpose1d_unbatched", lambda m, x, w: F(m).conv_transpose1d(x, w),
     [r(4, 5), r(4, 2, 3)], "SqueezeBackward1"),
    ("conv_transpose2d", lambda m, x, w: F(m).conv_transpose2d(x, w),
     [r(1, 3, 4, 4), r(3, 2, 3, 3)], "ConvolutionBackward0"),
    ("conv_transpose2d_all_options",
     lambda m, x, w, b: F(m).conv_transpose2d(x, w, b, groups=2, stride=(2, 1), dilation=(1, 2),
                                              padding=(1, 0), output_padding=(1, 0)),
     [r(2, 4, 3, 3), r(4, 2, 3, 3), r(4)], "ConvolutionBackward0"),
    ("conv_transpose2d_non_finite", lambda m, x, w: F(m).conv_transpose2d(x, w),
     [np.array([[[[INF, 0.0], [1.0, NAN]]]]), r(1, 1, 2, 2)], "ConvolutionBackward0"),
    ("avg_pool3d", lambda m, x: F(m).avg_pool3d(x, 2), [r(1, 2, 4, 4, 4)],
     "AvgPool3DBackward0"),
    ("avg_pool3d_ceil_no_pad_count",
     lambda m, x: F(m).avg_pool3d(x, 3, stride=2, padding=1, ceil_mode=True,
                                  count_include_pad=False), [r(2, 4, 4, 4)],
     "AvgPool3DBackward0"),
    ("avg_pool3d_mixed",
     lambda m, x: F(m).avg_pool3d(x, (1, 2, 3), stride=(1, 2, 1), padding=(0, 1, 1),
                                  ceil_mode=True), [r(1, 1, 3, 5, 4)], "AvgPool3DBackward0"),
    ("avg_pool3d_divisor", lambda m, x: F(m).avg_pool3d(x, 2, divisor_override=3),
     [r(1, 2, 4, 4, 4)], "AvgPool3DBackward0"),
    ("avg_pool3d_module",
     lambda m, x: m.nn.AvgPool3d((1, 2, 2), stride=1, padding=(0, 1, 1), ceil_mode=True,
                                 count_include_pad=False)(x), [r(1, 2, 3, 3, 3)],
     "AvgPool3DBackward0"),
    ("max_unpool2d", unpool(2), [r(1, 2, 4, 4)], "MaxUnpool2DBackward0"),
    ("max_unpool2d_output_size", unpool(2, output_size=(5, 5)), [r(1, 2, 5, 5)],
     "MaxUnpool2DBackward0"),
    ("max_unpool2d_overlapping", unpool(3, 2, 1, stride=2, padding=1), [r(2, 1, 5, 5)],
     "MaxUnpool2DBackward0"),
    ("max_unpool2d_unbatched", unpool(2), [r(2, 4, 4)], "MaxUnpool2DBackward0"),
    ("max_unpool2d_module",
     lambda m, x: m.nn.MaxUnpool2d(2)(*m.nn.MaxPool2d(2, return_indices=True)(x)),
     [r(1, 2, 4, 6)], "MaxUnpool2DBackward0"),
]
IDS = [c[0] for c in CASES]


def test_by_hand():
    x = engine.tensor([[[1.0, 2.0]]])
    w = engine.tensor([[[1.0, 10.0]]])
    # each input scales the kernel at its position: [1, 10] + [0, 2, 20]
    assert F(engine).conv_transpose1d(x, w).tolist() == [[[1.0, 12.0, 20.0]]]
    assert F(engine).conv_transpose1d(x, w, stride=2).tolist() == [[[1.0, 10.0, 2.0, 20.0]]]
    cube = engine.arange(8.0).reshape(1, 1, 2, 2, 2)
    assert F(engine).conv3d(cube, engine.ones(1, 1, 2, 2, 2)).item() == 28.0
    assert F(engine).avg_pool3d(cube, 2).item() == 3.5
    ints = engine.arange(8).reshape(1, 1, 2, 2, 2) * 3 - 5
    assert F(engine).avg_pool3d(ints, 2).tolist() == [[[[[5]]]]]  # 46 / 8, truncated
    up = F(engine).max_unpool2d(engine.tensor([[[[7.0]]]]), engine.tensor([[[[3]]]]), 2)
    assert up.tolist() == [[[[0.0, 0.0], [0.0, 7.0]]]]


@pytest.mark.parametrize("name,fn,arrays,node", CASES, ids=IDS)
def test_gradient_matches_finite_differences(name, fn, arrays, node):
    if not all(np.isfinite(a).all() for a in arrays):
        pytest.skip("finite differences need finite inputs")
    if name == "max_unpool2d_overlapping":
        pytest.skip("PyTorch gives each repeated index the grad, the function has it once")
    check_finite_differences(fn, arrays, name)


@pytest.mark.torch
@pytest.mark.parametrize("name,fn,arrays,node", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_pytorch(name, fn, arrays, node, dtype):
    torch = pytest.importorskip("torch")
    check_against_torch(torch, fn, arrays, node, dtype)


ERRORS = [
    lambda m: F(m).conv_transpose1d(m.ones(1, 4, 5), m.ones(3, 2, 3)),
    lambda m: F(m).conv_transpose1d(m.ones(1, 4, 5), m.ones(4, 2, 3), stride=2,
                                    output_padding=2),
    lambda m: F(m).conv_transpose1d(m.ones(1, 4, 5), m.ones(4, 2, 3, 3)),
    lambda m: F(m).conv_transpose1d(m.ones(1, 4, 5), m.ones(4, 2, 3), m.ones(3)),
    lambda m: F(m).conv_transpose1d(m.ones(1, 4, 5), m.ones(4, 2, 3), groups=3),
    lambda m: F(m).conv_transpose1d(m.ones(1, 4, 5, dtype=m.float64), m.ones(4, 2, 3)),
    lambda m: F(m).conv_transpose1d(m.ones(4, 5, 6, 7), m.ones(4, 2, 3)),
    lambda m: F(m).conv3d(m.ones(1, 4, 3, 3), m.ones(2, 4, 2, 2, 2)),
    lambda m: F(m).conv3d(m.ones(1, 4, 3, 3, 3), m.ones(2, 3, 2, 2, 2)),
    lambda m: F(m).conv3d(m.ones(1, 4, 1, 3, 3), m.ones(2, 4, 2, 2, 2)),
    lambda m: F(m).conv3d(m.ones(1, 4, 3, 3, 3), m.ones(2, 4, 2, 2, 2), m.ones(3)),
    lambda m: F(m).conv3d(m.ones(1, 4, 3, 3, 3), m.ones(2, 4, 2, 2, 2), stride=2,
                          padding="same"),
    lambda m: F(m).avg_pool3d(m.ones(1, 2, 4, 4, 4), 2, padding=2),
    lambda m: F(m).avg_pool3d(m.ones(1, 2, 1, 4, 4), 2),
    lambda m: F(m).avg_pool3d(m.ones(1, 2, 4, 4, 4), 2, divisor_override=0),
    lambda m: F(m).max_unpool2d(m.ones(1, 1, 2, 2), m.tensor([[[[0, 1], [2, 16]]]]), 2),
    lambda m: F(m).max_unpool2d(m.ones(1, 1, 2, 2), m.zeros(1, 1, 2, 2), 2),
    lambda m: F(m).max_unpool2d(m.ones(1, 2, 2, 2), m.zeros(1, 1, 2, 2, dtype=m.int64), 2),
    lambda m: F(m).max_unpool2d(m.ones(1, 1, 2, 2), m.zeros(1, 1, 2, 2, dtype=m.int64), 2,
                                output_size=(7, 7)),
]


@pytest.mark.torch
@pytest.mark.parametrize("fn", ERRORS)
def test_errors_match_pytorch(fn):
    torch = pytest.importorskip("torch")
    same_error(torch, fn)


@pytest.mark.torch
@pytest.mark.parametrize("build", [
    lambda m: m.nn.ConvTranspose2d(3, 2, 3),
    lambda m: m.nn.ConvTranspose1d(4, 6, 3, stride=2, output_padding=1, groups=2, bias=False),
    lambda m: m.nn.ConvTranspose2d(2, 2, 3, dilation=2, output_padding=1, groups=2),
    lambda m: m.nn.Conv3d(2, 4, (1, 2, 3), padding=1),
    lambda m: m.nn.AvgPool3d((1, 2, 2), stride=1, padding=(0, 1, 1)),
    lambda m: m.nn.MaxUnpool2d(2),
])
def test_modules_print_and_initialise_as_pytorch(build):
    torch = pytest.importorskip("torch")
    mods = []
    for lib in (engine, torch):
        lib.manual_seed(0)
        mods.append(build(lib))
    ours, theirs = mods
    assert repr(ours) == repr(theirs)
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.torch
def test_conv_transpose_module_forward_matches_pytorch():
    torch = pytest.importorskip("torch")
    outs = []
    for lib in (engine, torch):
        lib.manual_seed(3)
        m = lib.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1)
        outs.append(m(lib.ones(1, 2, 3, 3)).detach().numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6, atol=1e-7)
