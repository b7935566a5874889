"""``F.interpolate``, ``F.normalize`` and ``F.scaled_dot_product_attention``: hand values,
finite differences, errors, and PyTorch's values, dtypes, shapes, grads and node names."""

from __future__ import annotations

import numpy as np
import pytest
from table_checks import check_against_torch, check_finite_differences, same_error

import engine

rng = np.random.default_rng(9)
NAN, INF = float("nan"), float("inf")


def r(*shape):
    return rng.uniform(-2.0, 2.0, shape)


def I(**kw):  # noqa: E743
    return lambda m, x: m.nn.functional.interpolate(x, **kw)


def N(**kw):
    return lambda m, x: m.nn.functional.normalize(x, **kw)


def A(mask=None, **kw):
    def f(m, q, k, v):
        extra = dict(kw)
        if mask is not None:
            extra["attn_mask"] = m.tensor(mask)
            if mask.dtype != bool:
                extra["attn_mask"] = extra["attn_mask"].to(q.dtype)
        return m.nn.functional.scaled_dot_product_attention(q, k, v, **extra)

    return f


BOOL_MASK = np.array([[1, 0, 1, 1, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 1]], bool)
DEAD_ROW = np.array([[1, 0, 1, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], bool)

# (id, fn(lib, *leaves), arrays, node name)
CASES = [
    ("nearest_x2", I(scale_factor=2), [r(1, 2, 4)], "UpsampleNearest1DBackward0"),
    ("nearest_fraction", I(scale_factor=1.7), [r(1, 2, 4)], "UpsampleNearest1DBackward0"),
    ("nearest_down", I(size=3), [r(1, 2, 5)], "UpsampleNearest1DBackward0"),
    ("nearest_2d", I(size=(5, 3)), [r(2, 1, 3, 4)], "UpsampleNearest2DBackward0"),
    ("nearest_3d", I(scale_factor=2), [r(1, 1, 2, 2, 3)], "UpsampleNearest3DBackward0"),
    ("nearest_exact", I(size=8, mode="nearest-exact"), [r(1, 2, 5)],
     "UpsampleNearestExact1DBackward0"),
    ("nearest_exact_2d", I(size=(5, 3), mode="nearest-exact"), [r(1, 2, 3, 4)],
     "UpsampleNearestExact2DBackward0"),
    ("linear_x2", I(scale_factor=2, mode="linear"), [r(1, 2, 4)], "UpsampleLinear1DBackward0"),
    ("linear_fraction", I(scale_factor=1.7, mode="linear"), [r(1, 2, 4)],
     "UpsampleLinear1DBackward0"),
    ("linear_recompute", I(scale_factor=1.7, mode="linear", recompute_scale_factor=True),
     [r(1, 2, 4)], "UpsampleLinear1DBackward0"),
    ("linear_corners", I(size=7, mode="linear", align_corners=True), [r(1, 2, 4)],
     "UpsampleLinear1DBackward0"),
    ("linear_corners_one", I(size=1, mode="linear", align_corners=True), [r(1, 2, 4)],
     "UpsampleLinear1DBackward0"),
    ("linear_down", I(size=2, mode="linear"), [r(1, 2, 5)], "UpsampleLinear1DBackward0"),
    ("linear_same", I(size=4, mode="linear"), [r(1, 2, 4)], "UpsampleLinear1DBackward0"),
    ("bilinear", I(scale_factor=(1.5, 2.5), mode="bilinear"), [r(2, 1, 3, 4)],
     "UpsampleBilinear2DBackward0"),
    ("bilinear_corners", I(size=(5, 7), mode="bilinear", align_corners=True), [r(1, 2, 3, 4)],
     "UpsampleBilinear2DBackward0"),
    ("trilinear", I(size=(3, 4, 5), mode="trilinear"), [r(1, 1, 2, 3, 4)],
     "UpsampleTrilinear3DBackward0"),
    ("linear_non_finite", I(scale_factor=2, mode="linear"), [np.array([[[INF, 1.0, NAN]]])],
     "UpsampleLinear1DBackward0"),
    ("normalize", N(), [r(3, 4)], "DivBackward0"),
    ("normalize_p1_dim0", N(p=1.0, dim=0), [r(3, 4)], "DivBackward0"),
    ("normalize_inf", N(p=INF, dim=-1), [r(2, 3)], "DivBackward0"),
    ("normalize_zero_row", N(), [np.array([[0.0, 0.0], [3.0, -4.0]])], "DivBackward0"),
    ("normalize_1d", N(dim=0), [r(4)], "DivBackward0"),
    ("sdpa_flash", A(), [r(1, 2, 3, 4), r(1, 2, 5, 4), r(1, 2, 5, 4)],
     "ScaledDotProductFlashAttentionForCpuBackward0"),
    ("sdpa_flash_causal", A(is_causal=True), [r(1, 2, 3, 4)] * 3,
     "ScaledDotProductFlashAttentionForCpuBackward0"),
    ("sdpa_flash_mask", A(BOOL_MASK), [r(1, 2, 3, 4), r(1, 2, 5, 4), r(1, 2, 5, 4)],
     "ScaledDotProductFlashAttentionForCpuBackward0"),
    ("sdpa_flash_scale", A(scale=0.3), [r(1, 1, 3, 2)] * 3,
     "ScaledDotProductFlashAttentionForCpuBackward0"),
    ("sdpa_flash_causal_and_mask", A(BOOL_MASK[:, :3], is_causal=True), [r(1, 2, 3, 4)] * 3,
     "ScaledDotProductFlashAttentionForCpuBackward0"),
    ("sdpa_gqa", A(enable_gqa=True), [r(1, 4, 3, 4), r(1, 2, 3, 4), r(1, 2, 3, 4)],
     "ScaledDotProductFlashAttentionForCpuBackward0"),
    ("sdpa_value_width", A(), [r(1, 2, 3, 4), r(1, 2, 5, 4), r(1, 2, 5, 6)],
     "UnsafeViewBackward0"),
    ("sdpa_3d", A(), [r(2, 3, 4)] * 3, "UnsafeViewBackward0"),
    ("sdpa_3d_causal", A(is_causal=True), [r(2, 3, 4)] * 3, "UnsafeViewBackward0"),
    ("sdpa_2d", A(), [r(3, 4), r(5, 4), r(5, 2)], "MmBackward0"),
    ("sdpa_float_mask", A(np.linspace(-1, 1, 15).reshape(3, 5)), [r(3, 4), r(5, 4), r(5, 2)],
     "MmBackward0"),
    ("sdpa_dead_row", A(DEAD_ROW), [r(3, 4), r(5, 4), r(5, 2)], "MmBackward0"),
    ("sdpa_broadcast_batch", A(), [r(1, 2, 3, 4), r(1, 1, 3, 4), r(1, 1, 3, 4)],
     "UnsafeViewBackward0"),
]
IDS = [c[0] for c in CASES]


def test_by_hand():
    F = engine.nn.functional
    x = engine.tensor([[[0.0, 1.0, 2.0, 3.0]]])
    assert F.interpolate(x, scale_factor=1.7).tolist() == [[[0.0, 0.0, 1.0, 1.0, 2.0, 2.0]]]
    assert F.interpolate(x, size=3, mode="linear", align_corners=True).tolist() == \
        [[[0.0, 1.5, 3.0]]]
    # align_corners=False, x2: sources at -0.25 (clamped to 0), 0.25, 0.75, ...
    assert F.interpolate(x, scale_factor=2, mode="linear").tolist() == \
        [[[0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0]]]
    assert F.normalize(engine.tensor([[0.0, 0.0], [3.0, 4.0]], dtype=engine.float64)).tolist() == \
        [[0.0, 0.0], [0.6, 0.8]]
    q = engine.tensor([[1.0, 0.0]])
    k = engine.tensor([[0.0, 0.0], [0.0, 0.0]])
    v = engine.tensor([[2.0], [4.0]])
    assert F.scaled_dot_product_attention(q, k, v).tolist() == [[3.0]]  # equal scores: mean
    masked = F.scaled_dot_product_attention(q, k, v, attn_mask=engine.tensor([[False, True]]))
    assert masked.tolist() == [[4.0]]


@pytest.mark.parametrize("name,fn,arrays,node", CASES, ids=IDS)
def test_gradient_matches_finite_differences(name, fn, arrays, node):
    if not all(np.isfinite(a).all() for a in arrays):
        pytest.skip("finite differences need finite inputs")
    if name == "normalize_zero_row":
        pytest.skip("the norm's kink at zero")
    check_finite_differences(fn, arrays, name)


@pytest.mark.torch
@pytest.mark.parametrize("name,fn,arrays,node", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_pytorch(name, fn, arrays, node, dtype):
    torch = pytest.importorskip("torch")
    check_against_torch(torch, fn, arrays, node, dtype)


def test_flash_attention_second_derivative_matches_the_math_path():
    F = engine.nn.functional
    arrs = [r(1, 1, 3, 2), r(1, 1, 3, 2), r(1, 1, 3, 2)]
    grads = []
    for shape in ((1, 1, 3, 2), (3, 2)):  # 4-d: the flash row; 2-d: the composed ops
        ts = [engine.tensor(a.reshape(shape), requires_grad=True) for a in arrs]
        out = F.scaled_dot_product_attention(*ts)
        (gq,) = engine.autograd.grad((out ** 2).sum(), ts[:1], create_graph=True)
        grads.append(engine.autograd.grad((gq ** 2).sum(), ts)[1].numpy().reshape(3, 2))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10)


ERRORS = [
    lambda m: m.nn.functional.interpolate(m.ones(2, 4), scale_factor=2),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4), size=3, scale_factor=2),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4)),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4), size=(2, 3)),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4), scale_factor=(2, 3)),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4), scale_factor=2, align_corners=True),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4), scale_factor=2, mode="bilinear"),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4, 4), scale_factor=2, mode="linear"),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4), scale_factor=2, mode="foo"),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4, dtype=m.int64), scale_factor=2),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4), size=0),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 0), size=3),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4), size=3, recompute_scale_factor=True),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4), size=3, antialias=True),
    lambda m: m.nn.functional.normalize(m.tensor(3.0), dim=1),
    lambda m: m.nn.functional.scaled_dot_product_attention(m.ones(3), m.ones(3), m.ones(3)),
    lambda m: m.nn.functional.scaled_dot_product_attention(
        m.ones(2, 3, 4), m.ones(2, 3, 4), m.ones(2, 3, 4), is_causal=True,
        attn_mask=m.ones(3, 3, dtype=m.bool)),
    lambda m: m.nn.functional.scaled_dot_product_attention(
        m.ones(1, 2, 3, 4), m.ones(1, 2, 3, 4, dtype=m.float64), m.ones(1, 2, 3, 4)),
    lambda m: m.nn.functional.scaled_dot_product_attention(
        m.ones(3, 4, dtype=m.int64), m.ones(3, 4, dtype=m.int64), m.ones(3, 4, dtype=m.int64)),
    lambda m: m.nn.functional.scaled_dot_product_attention(m.ones(2, 3, 4), m.ones(2, 5, 3),
                                                          m.ones(2, 5, 4)),
    lambda m: m.nn.functional.scaled_dot_product_attention(
        m.ones(3, 4), m.ones(3, 4), m.ones(3, 4), attn_mask=m.zeros(3, 3, dtype=m.float64)),
]


@pytest.mark.torch
@pytest.mark.parametrize("fn", ERRORS)
def test_errors_match_pytorch(fn):
    torch = pytest.importorskip("torch")
    same_error(torch, fn)


@pytest.mark.torch
@pytest.mark.parametrize("fn", [
    lambda m: m.nn.functional.interpolate(m.zeros(0, 2, 4), size=3),
    lambda m: m.nn.functional.interpolate(m.arange(6.0).reshape(1, 1, 6), size=3, mode="area"),
    lambda m: m.nn.functional.interpolate(m.arange(12.0).reshape(1, 1, 3, 4), size=(2, 2),
                                          mode="area"),
    lambda m: m.nn.functional.normalize(m.zeros(0, 3)),
])
def test_empty_and_area_results_match_pytorch(fn):
    torch = pytest.importorskip("torch")
    got, want = fn(engine), fn(torch)
    assert str(got.dtype) == str(want.dtype) and tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
