"""relu and the clamps keep PyTorch's signed zero (``relu(-0.0)`` is -0.0: relu is
``x < 0 ? 0 : x``, a clamp keeps x where x equals its bound), their grads at exactly 0, -0 and nan
are PyTorch's, on every numpy loop (one element, the SIMD body and its tail, non-contiguous)."""

from __future__ import annotations

import numpy as np
import pytest

import engine
import engine.nn.functional as F
from engine.ns import relu_np

VALUES = [-0.0, 0.0, -1.0, 2.0, float("nan"), -float("inf"), float("inf"), -3e-45]

OPS = {
    "torch.relu": lambda m, f, t: m.relu(t),
    "F.relu": lambda m, f, t: f.relu(t),
    "Tensor.relu": lambda m, f, t: t.relu(),
    "relu_": lambda m, f, t: t.clone().relu_(),
    "F.relu inplace": lambda m, f, t: f.relu(t.clone(), inplace=True),
    "nn.ReLU": lambda m, f, t: m.nn.ReLU()(t),
    "clamp(min=0)": lambda m, f, t: t.clamp(min=0),
    "clamp(min=0.0)": lambda m, f, t: t.clamp(min=0.0),
    "clamp(min=-0.0)": lambda m, f, t: t.clamp(min=-0.0),
    "clamp(0, 1)": lambda m, f, t: t.clamp(0, 1),
    "clamp(-1, 0)": lambda m, f, t: t.clamp(-1, 0),
    "clamp(max=-0.0)": lambda m, f, t: t.clamp(max=-0.0),
    "clamp_min(0)": lambda m, f, t: t.clamp_min(0),
    "clamp_max(0)": lambda m, f, t: m.clamp_max(t, 0),
    "clip(min=0)": lambda m, f, t: t.clip(min=0),
    "F.relu6": lambda m, f, t: f.relu6(t),
    "hardtanh(0, 6)": lambda m, f, t: f.hardtanh(t, 0.0, 6.0),
    "hardtanh(-0.0, 0.0)": lambda m, f, t: f.hardtanh(t, -0.0, 0.0),
}


def _bits(t):
    a = t.detach().numpy().astype(np.float64)
    return [("nan" if np.isnan(v) else repr(float(v))) for v in a.reshape(-1)]


def test_relu_of_negative_zero_is_negative_zero():
    out = engine.relu(engine.tensor(-0.0))
    assert np.signbit(out.item()) and repr(out) == "tensor(-0.)"
    assert not np.signbit(engine.relu(engine.tensor(0.0)).item())
    assert not np.signbit(engine.relu(engine.tensor(-1.0)).item())  # a negative gives +0.0


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 2, 7, 16, 17, 33, 100, 4099])
def test_relu_np_is_x_below_zero_else_x_on_every_loop(dtype, n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n).astype(dtype)
    x[::3], x[1::5], x[2::7] = -0.0, 0.0, np.nan
    want = np.where(x < 0, dtype(0), x)
    for arr in (x, x[::2], x.reshape(1, -1).T):  # contiguous, strided, a column
        got = relu_np(arr)
        w = want if arr is x else (want[::2] if arr.base is x and arr.ndim == 1 else want[:, None])
        assert got.dtype == dtype
        np.testing.assert_array_equal(np.signbit(got), np.signbit(w))
        np.testing.assert_array_equal(got, w)


def test_relu_chunks_a_large_input_and_keeps_negative_zero():
    x = np.full((1 << 18) + 5, -0.0, np.float32)
    x[::2] = -1.0
    got = relu_np(x)
    assert np.signbit(got[1::2]).all() and not np.signbit(got[::2]).any()


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("name", OPS)
def test_values_and_grads_at_zeros_and_nan_with_torch(name, dtype):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as tF

    # hardtanh's grad at nan is 0 in PyTorch's vector loop and g in its scalar tail (the first
    # 16 float32, 8 float64 or 32 float16 elements differ from the rest): left out
    values = VALUES[:4] + VALUES[5:] if "tanh" in name or "relu6" in name else VALUES
    res = []
    for m, f in ((engine, F), (torch, tF)):
        x = m.tensor(values, dtype=getattr(m, dtype), requires_grad=True)
        y = OPS[name](m, f, x)
        y.backward(m.ones_like(y))
        res.append((_bits(y), type(y.grad_fn).__name__, _bits(x.grad)))
    assert res[0] == res[1]


def test_relu_backward_is_zero_at_both_zeros_and_passes_nan():
    x = engine.tensor([-0.0, 0.0, float("nan"), 1.0], requires_grad=True)
    x.relu().backward(engine.ones(4))
    assert _bits(x.grad) == ["0.0", "0.0", "1.0", "1.0"]
    y = engine.tensor([-0.0, 0.0, 3.0], requires_grad=True)
    F.hardtanh(y, 0.0, 6.0).backward(engine.ones(3))
    assert _bits(y.grad) == ["0.0", "0.0", "1.0"]  # 0 at a bound
