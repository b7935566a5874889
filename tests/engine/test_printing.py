"""engine.printing must print tensors exactly as PyTorch does.

The hard-coded strings below were produced by PyTorch 2.13 (CPU) from the same arrays, so these
tests run without torch; the ``torch``-marked tests compare with a live PyTorch when installed.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engine import printing
from engine.printing import format_tensor, get_printoptions, printoptions, set_printoptions

nan, inf = float("nan"), float("inf")

# The dtypes PyTorch prints without a dtype= suffix, with float32 as the default float dtype.
_UNNAMED = {"float32", "int64", "bool"}


def fmt(a, **kwargs) -> str:
    """format_tensor with the dtype arguments derived from the array, as the engine will."""
    a = np.asarray(a)
    return format_tensor(
        a, dtype_name=a.dtype.name, is_default_dtype=a.dtype.name in _UNNAMED, **kwargs
    )


@pytest.fixture(autouse=True)
def _default_printoptions():
    """Print options are global state; never let one test's settings leak into the next."""
    set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")


# (id, array, expected repr)
CASES = [
    ("scalar_integral_float", np.float32(2.0), "tensor(2.)"),
    ("scalar_float", np.float32(17.8969), "tensor(17.8969)"),
    ("scalar_int", np.int64(3), "tensor(3)"),
    ("scalar_bool", np.bool_(True), "tensor(True)"),
    ("scalar_nan", np.float32(nan), "tensor(nan)"),
    ("scalar_negative_zero", np.float32(-0.0), "tensor(-0.)"),
    ("integral_floats", np.array([1.0, 2.0], np.float32), "tensor([1., 2.])"),
    (
        "four_decimals",
        np.array([0.1, -2.25, 3.14159], np.float32),
        "tensor([ 0.1000, -2.2500,  3.1416])",
    ),
    (
        "column_sci",
        np.array([[-0.4034], [0.12399], [0.0000312]], np.float32),
        "tensor([[-4.0340e-01],\n        [ 1.2399e-01],\n        [ 3.1200e-05]])",
    ),
    (
        "large_sci",
        np.array([1e9, 1.0, -3.5], np.float32),
        "tensor([ 1.0000e+09,  1.0000e+00, -3.5000e+00])",
    ),
    (
        "large_integral",
        np.array([123456789.0, 1.0], np.float32),
        "tensor([1.2346e+08, 1.0000e+00])",
    ),
    (
        "nonfinite_mixed",
        np.array([nan, 1.5, inf, -inf, 0.0], np.float32),
        "tensor([   nan, 1.5000,    inf,   -inf, 0.0000])",
    ),
    ("nonfinite_integral", np.array([nan, 1.0, -inf], np.float32), "tensor([nan, 1., -inf])"),
    ("all_nan", np.array([nan, nan], np.float32), "tensor([nan, nan])"),
    ("all_zero", np.zeros(3, np.float32), "tensor([0., 0., 0.])"),
    ("negative_zero", np.array([-0.0, 1.0], np.float32), "tensor([-0., 1.])"),
    ("negative_zero_fixed", np.array([-0.0, 1.5], np.float32), "tensor([-0.0000, 1.5000])"),
    (
        "matrix",
        np.array([[1.5, -2.0, 3.25], [4.0, 5.125, -6.0]], np.float32),
        "tensor([[ 1.5000, -2.0000,  3.2500],\n        [ 4.0000,  5.1250, -6.0000]])",
    ),
    (
        "cube",
        np.arange(12, dtype=np.float32).reshape(2, 2, 3) / 4,
        "tensor([[[0.0000, 0.2500, 0.5000],\n         [0.7500, 1.0000, 1.2500]],\n\n"
        "        [[1.5000, 1.7500, 2.0000],\n         [2.2500, 2.5000, 2.7500]]])",
    ),
    (
        "int_matrix",
        np.array([[1, -20], [300, 4]], np.int64),
        "tensor([[  1, -20],\n        [300,   4]])",
    ),
    ("bools", np.array([True, False, True]), "tensor([ True, False,  True])"),
    ("bool_matrix", np.array([[True], [False]]), "tensor([[ True],\n        [False]])"),
    ("float64_suffix", np.array([1.0, 2.5]), "tensor([1.0000, 2.5000], dtype=torch.float64)"),
    ("int32_suffix", np.arange(4, dtype=np.int32), "tensor([0, 1, 2, 3], dtype=torch.int32)"),
    ("uint8_suffix", np.array([0, 255], np.uint8), "tensor([  0, 255], dtype=torch.uint8)"),
    (
        "float16_suffix",
        np.array([0.1, 1000.0, -2.0], np.float16),
        "tensor([ 9.9976e-02,  1.0000e+03, -2.0000e+00], dtype=torch.float16)",
    ),
    (
        "wrapped_row",
        np.linspace(-1, 1, 25, dtype=np.float32),
        "tensor([-1.0000, -0.9167, -0.8333, -0.7500, -0.6667, -0.5833, -0.5000, -0.4167,\n"
        "        -0.3333, -0.2500, -0.1667, -0.0833,  0.0000,  0.0833,  0.1667,  0.2500,\n"
        "         0.3333,  0.4167,  0.5000,  0.5833,  0.6667,  0.7500,  0.8333,  0.9167,\n"
        "         1.0000])",
    ),
    (
        "wrapped_ints",
        np.arange(40, dtype=np.int64) * 1000,
        "tensor([    0,  1000,  2000,  3000,  4000,  5000,  6000,  7000,  8000,  9000,\n"
        "        10000, 11000, 12000, 13000, 14000, 15000, 16000, 17000, 18000, 19000,\n"
        "        20000, 21000, 22000, 23000, 24000, 25000, 26000, 27000, 28000, 29000,\n"
        "        30000, 31000, 32000, 33000, 34000, 35000, 36000, 37000, 38000, 39000])",
    ),
    (
        "summarised_1d",
        np.arange(2000, dtype=np.float32),
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
        "        1.9990e+03])",
    ),
    (
        "summarised_sci",
        np.logspace(-6, 6, 1500, dtype=np.float32),
        "tensor([1.0000e-06, 1.0186e-06, 1.0376e-06,  ..., 9.6381e+05, 9.8174e+05,\n"
        "        1.0000e+06])",
    ),
    (
        "summarised_2d",
        np.arange(1200, dtype=np.int64).reshape(40, 30),
        "tensor([[   0,    1,    2,  ...,   27,   28,   29],\n"
        "        [  30,   31,   32,  ...,   57,   58,   59],\n"
        "        [  60,   61,   62,  ...,   87,   88,   89],\n"
        "        ...,\n"
        "        [1110, 1111, 1112,  ..., 1137, 1138, 1139],\n"
        "        [1140, 1141, 1142,  ..., 1167, 1168, 1169],\n"
        "        [1170, 1171, 1172,  ..., 1197, 1198, 1199]])",
    ),
    (
        "summarised_3d",
        np.arange(1120, dtype=np.int64).reshape(7, 2, 80),
        "tensor([[[   0,    1,    2,  ...,   77,   78,   79],\n"
        "         [  80,   81,   82,  ...,  157,  158,  159]],\n\n"
        "        [[ 160,  161,  162,  ...,  237,  238,  239],\n"
        "         [ 240,  241,  242,  ...,  317,  318,  319]],\n\n"
        "        [[ 320,  321,  322,  ...,  397,  398,  399],\n"
        "         [ 400,  401,  402,  ...,  477,  478,  479]],\n\n"
        "        ...,\n\n"
        "        [[ 640,  641,  642,  ...,  717,  718,  719],\n"
        "         [ 720,  721,  722,  ...,  797,  798,  799]],\n\n"
        "        [[ 800,  801,  802,  ...,  877,  878,  879],\n"
        "         [ 880,  881,  882,  ...,  957,  958,  959]],\n\n"
        "        [[ 960,  961,  962,  ..., 1037, 1038, 1039],\n"
        "         [1040, 1041, 1042,  ..., 1117, 1118, 1119]]])",
    ),
    ("empty", np.zeros(0, np.float32), "tensor([])"),
    ("empty_2d", np.zeros((0, 3), np.float32), "tensor([], size=(0, 3))"),
    # An empty tensor has no elements to show it is integral, so int64/bool are named.
    ("empty_int64", np.zeros(0, np.int64), "tensor([], dtype=torch.int64)"),
    ("empty_bool_3d", np.zeros((2, 0, 1), bool), "tensor([], size=(2, 0, 1), dtype=torch.bool)"),
    ("empty_float64", np.zeros(0), "tensor([], dtype=torch.float64)"),
]


@pytest.mark.parametrize(("array", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_matches_pytorch_text(array, expected):
    assert fmt(array) == expected


def test_requires_grad_suffix():
    assert fmt(np.array([1.0, 2.0], np.float32), requires_grad=True) == (
        "tensor([1., 2.], requires_grad=True)"
    )
    assert fmt(np.array([0.5]), requires_grad=True) == (
        "tensor([0.5000], dtype=torch.float64, requires_grad=True)"
    )


def test_grad_fn_replaces_requires_grad():
    got = fmt(np.array([2.0, 4.0], np.float32), requires_grad=True, grad_fn_name="MulBackward0")
    assert got == "tensor([2., 4.], grad_fn=<MulBackward0>)"


def test_suffixes_wrap_past_the_line_width():
    row = np.linspace(-1, 1, 8, dtype=np.float32)
    assert fmt(row, grad_fn_name="MulBackward0") == (
        "tensor([-1.0000, -0.7143, -0.4286, -0.1429,  0.1429,  0.4286,  0.7143,  1.0000],\n"
        "       grad_fn=<MulBackward0>)"
    )
    row64 = np.linspace(-1, 1, 7, dtype=np.float32).astype(np.float64) + 1
    assert fmt(row64, grad_fn_name="AddBackward0") == (
        "tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000],\n"
        "       dtype=torch.float64, grad_fn=<AddBackward0>)"
    )


def test_default_float64_dtype_needs_no_suffix_but_float32_does():
    # What the engine passes after set_default_dtype(float64).
    assert format_tensor(np.array([1.0, 2.5]), dtype_name="float64", is_default_dtype=True) == (
        "tensor([1.0000, 2.5000])"
    )
    assert format_tensor(np.zeros(0), dtype_name="float64", is_default_dtype=True) == "tensor([])"
    f32 = np.array([1.0, 2.5], np.float32)
    assert format_tensor(f32, dtype_name="float32", is_default_dtype=False) == (
        "tensor([1.0000, 2.5000], dtype=torch.float32)"
    )


def test_values_are_rounded_to_the_named_dtype():
    # float64 data labelled float32 prints as the float32 tensor would: 2**24 + 1 -> 2**24.
    got = format_tensor(np.array([16777217.0]), dtype_name="float32", is_default_dtype=True)
    assert got == "tensor([16777216.])"


def test_custom_prefix_shifts_the_indent():
    got = format_tensor(
        np.eye(2, dtype=np.float32), dtype_name="float32", is_default_dtype=True, prefix="Param("
    )
    assert got == "Param([[1., 0.],\n       [0., 1.]])"


# --------------------------------------------------------------------------------------------
# Print options


def test_precision():
    set_printoptions(precision=2)
    assert fmt(np.array([1.12345, -0.5], np.float32)) == "tensor([ 1.12, -0.50])"
    assert fmt(np.array([1e9, 1.5], np.float32)) == "tensor([1.00e+09, 1.50e+00])"


def test_sci_mode_forced_off_and_on():
    set_printoptions(sci_mode=False)
    assert fmt(np.array([1e9, 1.5], np.float32)) == "tensor([1000000000.0000,          1.5000])"
    assert fmt(np.array([1.12345, -0.5, 1e-5], np.float32)) == (
        "tensor([ 1.1235, -0.5000,  0.0000])"
    )
    set_printoptions(sci_mode=True)
    assert fmt(np.array([1.0, 2.0], np.float32)) == "tensor([1.0000e+00, 2.0000e+00])"


def test_any_call_without_sci_mode_resets_it_to_automatic():
    # PyTorch quirk: set_printoptions assigns sci_mode even when it is not passed.
    set_printoptions(sci_mode=False)
    set_printoptions(precision=3)
    assert get_printoptions()["sci_mode"] is None
    assert fmt(np.array([1e9, 1.5], np.float32)) == "tensor([1.000e+09, 1.500e+00])"


def test_threshold_and_edgeitems():
    set_printoptions(threshold=5)
    assert fmt(np.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    set_printoptions(edgeitems=1, threshold=2)
    assert fmt(np.arange(10)) == "tensor([0,  ..., 9])"


def test_zero_edgeitems_shows_the_size():
    set_printoptions(edgeitems=0)
    assert fmt(np.arange(10)) == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], size=(10,))"
    set_printoptions(edgeitems=0, threshold=3)
    assert fmt(np.ones((4, 4), np.float32)) == "tensor([...], size=(4, 4))"


def test_linewidth():
    set_printoptions(linewidth=30)
    assert fmt(np.arange(10)) == "tensor([0, 1, 2, 3, 4, 5, 6,\n        7, 8, 9])"
    assert fmt(np.array([1e9, 1.5], np.float32)) == "tensor([1.0000e+09,\n        1.5000e+00])"


def test_profiles():
    set_printoptions(profile="short")
    assert fmt(np.array([1.12345, -0.5], np.float32)) == "tensor([ 1.12, -0.50])"
    set_printoptions(profile="full")
    assert "..." not in fmt(np.arange(1500))
    set_printoptions(profile="default")
    assert get_printoptions() == {
        "precision": 4,
        "threshold": 1000,
        "edgeitems": 3,
        "linewidth": 80,
        "sci_mode": None,
    }
    assert fmt(np.array([1.12345], np.float32)) == "tensor([1.1235])"
    assert fmt(np.arange(1500)).count("...") == 1


def test_printoptions_context_manager_restores():
    before = get_printoptions()
    with printoptions(precision=1, sci_mode=False):
        assert fmt(np.array([1.25, 1e-5], np.float32)) == "tensor([1.2, 0.0])"
    assert get_printoptions() == before
    assert printing.PRINT_OPTS.precision == 4


# --------------------------------------------------------------------------------------------
# Differential tests against a live PyTorch


def _torch_repr(torch, a: np.ndarray, grad: str | None = None) -> str:
    t = torch.from_numpy(np.array(a))  # a copy, and 0-d stays 0-d
    if grad is not None:
        t = t.requires_grad_()
        if grad == "grad_fn":
            t = t * 1
    return repr(t)


def _our_repr(torch, a: np.ndarray, grad: str | None = None) -> str:
    """format_tensor called the way the engine calls it, with PyTorch's dtype rule."""
    t_dtype = getattr(torch, a.dtype.name)
    default = t_dtype in (torch.get_default_dtype(), torch.int64, torch.bool)
    return format_tensor(
        a,
        dtype_name=a.dtype.name,
        is_default_dtype=default,
        requires_grad=grad is not None,
        grad_fn_name="MulBackward0" if grad == "grad_fn" else None,
    )


def _assert_same(torch, a: np.ndarray, grad: str | None = None):
    a = np.asarray(a)
    assert _our_repr(torch, a, grad) == _torch_repr(torch, a, grad)


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch")
    torch.set_printoptions(profile="default")
    yield torch
    torch.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)


def _set_both(torch, **opts):
    torch.set_printoptions(**opts)
    set_printoptions(**opts)


_SHAPES = [(), (1,), (7,), (30,), (3, 4), (2, 3, 5), (50, 30), (4, 300), (2000,), (11, 12, 13)]
_SCALES = [1e-8, 1e-5, 1e-3, 0.1, 1.0, 10.0, 1e3, 1e5, 1e8, 1e12]


@pytest.mark.torch
@pytest.mark.parametrize("shape", _SHAPES, ids=str)
@pytest.mark.parametrize("scale", _SCALES, ids=str)
def test_random_normals_match_torch(torch, shape, scale):
    rng = np.random.default_rng([*shape, round(np.log10(scale)) + 20])
    x = (rng.standard_normal(shape) * scale).astype(np.float32)
    with np.errstate(over="ignore"):  # large scales overflow float16 to inf, on purpose
        half = x.astype(np.float16)
    for a in (x, x.astype(np.float64), np.round(x), half):
        _assert_same(torch, a)


@pytest.mark.torch
@pytest.mark.parametrize("shape", _SHAPES, ids=str)
def test_ints_bools_and_nonfinite_match_torch(torch, shape):
    rng = np.random.default_rng(len(shape) * 1000 + int(np.prod(shape)))
    _assert_same(torch, rng.integers(-(10**12), 10**6, size=shape))
    _assert_same(torch, rng.integers(0, 1000, size=shape).astype(np.int32))
    _assert_same(torch, rng.integers(0, 256, size=shape).astype(np.uint8))
    _assert_same(torch, rng.random(shape) < 0.5)
    specials = np.array([nan, inf, -inf, 0.0, -0.0], np.float32)
    x = rng.standard_normal(shape).astype(np.float32)
    mixed = np.where(rng.random(shape) < 0.3, rng.choice(specials, size=shape), x)
    _assert_same(torch, mixed)
    _assert_same(torch, np.where(rng.random(shape) < 0.3, np.float32(nan), np.round(x * 100)))


@pytest.mark.torch
@pytest.mark.parametrize("grad", ["requires_grad", "grad_fn"])
@pytest.mark.parametrize("shape", [(), (3,), (8,), (2, 4), (1500,)], ids=str)
def test_autograd_suffixes_match_torch(torch, shape, grad):
    x = np.random.default_rng(0).standard_normal(shape)
    _assert_same(torch, x.astype(np.float32), grad)
    _assert_same(torch, x, grad)


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 1)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "bool"])
def test_empty_tensors_match_torch(torch, shape, dtype):
    _assert_same(torch, np.zeros(shape, dtype))


@pytest.mark.torch
def test_default_dtype_float64_matches_torch(torch):
    torch.set_default_dtype(torch.float64)
    for a in (np.array([1.5, 2.0]), np.zeros(0), np.zeros((0, 2), np.float32)):
        _assert_same(torch, a)
        _assert_same(torch, a.astype(np.float32))


_OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "precision": st.integers(0, 8),
        "threshold": st.integers(1, 300),
        "edgeitems": st.integers(0, 4),
        "linewidth": st.integers(10, 120),
        "sci_mode": st.sampled_from([True, False]),
        "profile": st.sampled_from(["default", "short", "full"]),
    },
)
_DTYPES = st.sampled_from(
    ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
)


@st.composite
def _arrays(draw):
    dtype = np.dtype(draw(_DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=12))
    if dtype.kind == "f":
        # Full-range floats are mostly huge or tiny; mix in everyday magnitudes and specials.
        width = dtype.itemsize * 8
        elements = (
            st.floats(width=width)
            | st.floats(-100, 100, width=width)
            | st.sampled_from([nan, inf, -inf, 0.0, -0.0, 1.0, -2.0])
        )
        return draw(hnp.arrays(dtype, shape, elements=elements))
    return draw(hnp.arrays(dtype, shape))


@pytest.mark.torch
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300)
@given(a=_arrays(), opts=_OPTIONS, grad=st.sampled_from([None, "requires_grad", "grad_fn"]))
def test_hypothesis_matches_torch(torch, a, opts, grad):
    if a.dtype.kind != "f":
        grad = None  # only floating tensors can require grad
    _set_both(torch, **opts)
    try:
        _assert_same(torch, a, grad)
    finally:
        _set_both(torch, profile="default")


@pytest.mark.torch
@pytest.mark.parametrize(
    "opts",
    [
        {"precision": 2},
        {"sci_mode": False},
        {"sci_mode": True},
        {"threshold": 5},
        {"edgeitems": 1, "threshold": 10},
        {"edgeitems": 0, "threshold": 3},
        {"linewidth": 40},
        {"profile": "short"},
        {"profile": "full"},
    ],
    ids=str,
)
def test_printoptions_match_torch(torch, opts):
    _set_both(torch, **opts)
    rng = np.random.default_rng(3)
    for shape in [(), (5,), (40,), (4, 7), (3, 4, 5), (1200,), (30, 40)]:
        x = rng.standard_normal(shape).astype(np.float32)
        for a in (x, x * 1e6, np.round(x * 10), (x * 100).astype(np.int64)):
            _assert_same(torch, a)
