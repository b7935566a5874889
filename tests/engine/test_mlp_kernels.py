"""The numpy kernels an MLP step spends its time in, against their plain numpy forms and PyTorch:
relu's forward (a maximum against cached zeros, in chunks past the cache) gives max(x, 0) in
the input's dtype at every size and layout, nan kept; ``reduce_rows`` (the reductions over a
batch's short rows, softmax's and log_softmax's) gives ``ufunc.reduce``'s values."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.ns import NP, reduce_rows, relu_np


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


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64])
@pytest.mark.parametrize("shape,axis", [((128, 10), 1), ((128, 10), -1), ((128, 10), (1,)),
                                        ((128, 10), 0), ((10, 128), 1), ((64, 17), 1),
                                        ((3, 4, 5), 2), ((128, 10), None)])
@pytest.mark.parametrize("keepdims", [True, False])
def test_reduce_rows_is_the_ufuncs_reduce(shape, axis, dtype, keepdims):
    x = (np.random.default_rng(3).standard_normal(shape) * 10).astype(dtype)
    if x.dtype.kind == "f":
        x[1, 2] = np.nan
    for ufunc in (np.maximum, np.add):
        got = reduce_rows(ufunc, x, axis, keepdims)
        want = ufunc.reduce(x, axis=axis, keepdims=keepdims)
        assert got.dtype == want.dtype and got.shape == want.shape
        if ufunc is np.maximum or x.dtype.kind == "i":
            np.testing.assert_array_equal(got, want)
        else:
            # another order of the additions: within the float rounding of the row's terms
            tol = 16 * np.finfo(dtype).eps * np.nanmax(np.abs(x))
            np.testing.assert_allclose(got, want, rtol=0, atol=tol)
    np.testing.assert_array_equal(NP.sum(x, axis, keepdims), reduce_rows(np.add, x, axis,
                                                                         keepdims))


@pytest.mark.torch
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_a_batch_of_short_rows_softmaxes_as_pytorch(fn):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal((128, 10)).astype(np.float32) * 5
    g = np.random.default_rng(5).standard_normal((128, 10)).astype(np.float32)
    e, t = engine.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    a, b = getattr(e, fn)(1), getattr(t, fn)(1)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-7)
    (a * engine.tensor(g)).sum().backward()
    (b * torch.tensor(g)).sum().backward()
    assert e.grad.dtype == engine.float32
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)
