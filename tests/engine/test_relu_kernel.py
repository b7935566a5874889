"""relu's numpy forward (a maximum against cached zeros, in chunks past the cache) gives
max(x, 0) in the input's dtype at every size and layout, nan kept, as PyTorch's relu."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.ns import relu_np


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (0, 3), (5,), (128, 256), (3, 300_001)])
def test_relu_is_max_with_zero_in_the_inputs_dtype(shape, dtype):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    if x.size > 1:
        x.flat[x.size // 2] = np.nan
        x.flat[0] = -np.inf
    got = relu_np(x)
    assert got.dtype == dtype and got.shape == x.shape and got is not x
    np.testing.assert_array_equal(got, np.maximum(x, dtype(0)))
    if x.size > 1:
        assert np.isnan(got.flat[x.size // 2]) and got.flat[0] == 0


def test_a_strided_input_and_the_tensor_method():
    x = np.random.default_rng(1).standard_normal((6, 8)).astype(np.float32)[:, ::2]
    np.testing.assert_array_equal(relu_np(x), np.maximum(x, np.float32(0)))
    t = engine.tensor(x, requires_grad=True)
    y = t.relu()
    assert y.dtype == engine.float32 and y.grad_fn.name() == "ReluBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), (x > 0).astype(np.float32))


@pytest.mark.torch
def test_pytorch_agrees():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).standard_normal((300, 1000)).astype(np.float32)
    x[0, :3] = [np.nan, np.inf, -np.inf]
    np.testing.assert_array_equal(engine.tensor(x).relu().numpy(),
                                  torch.tensor(x).relu().numpy())
