"""A float32 tensor with a Python number (``y * 1.01``): the dispatcher's fast path hands numpy
the number as a cached 0-d float32 array. Results must be the ones numpy gives for the number
itself and PyTorch's, bit for bit, for every value (signed zeros, nan, inf, huge and tiny
numbers are passed through uncached), and the recorded node must be the general path's."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import engine
from engine import f32_consts

VALUES = [1.01, -1.01, 0.1, 1 / 3, 3, -7, 2**40 + 1, 1e-20, -3.5e25, 0.0, -0.0, math.nan,
          math.inf, -math.inf, 1e40, -1e40, 1e-50, 2**200, 6.0e-39]
OPS = {
    "add": (lambda t, b: t + b, lambda t, b: b + t, np.add),
    "sub": (lambda t, b: t - b, None, np.subtract),
    "mul": (lambda t, b: t * b, lambda t, b: b * t, np.multiply),
    "div": (lambda t, b: t / b, None, np.true_divide),
}
DATA = np.array([0.5, -2.25, 0.0, -0.0, 3.0e38, -1.5e-39, np.inf, np.nan, 7.0], np.float32)


def _bits(a):
    return np.asarray(a, np.float32).view(np.int32)


@pytest.mark.parametrize("key", sorted(OPS))
@pytest.mark.parametrize("b", VALUES, ids=repr)
def test_same_bits_as_numpy_with_the_number(key, b):
    fwd, rfwd, ufunc = OPS[key]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        expected = ufunc(DATA, b)
        for f in (fwd, rfwd):
            if f is None:
                continue
            x = engine.tensor(DATA, requires_grad=True)
            out = f(x, b)
            assert out.dtype == engine.float32
            assert np.array_equal(_bits(out.detach().numpy()), _bits(expected))


def test_signed_zero_constants_are_not_mixed_up():
    x = engine.tensor([1.0, -2.0])
    assert _bits((x * 0.0).numpy()).tolist() == _bits(np.array([0.0, -0.0])).tolist()
    assert _bits((x * -0.0).numpy()).tolist() == _bits(np.array([-0.0, 0.0])).tolist()
    assert _bits((x * 0.0).numpy()).tolist() == _bits(np.array([0.0, -0.0])).tolist()


def test_constants_are_cached_read_only_and_bounded():
    f32_consts.CONSTS.clear()
    x = engine.tensor([1.0, 2.0])
    x * 1.25
    c = f32_consts.CONSTS[1.25]
    assert c.dtype == np.float32 and c.shape == () and not c.flags.writeable
    x * 1.25
    assert f32_consts.CONSTS[1.25] is c
    for i in range(3000):
        x + (i + 0.5)
    assert len(f32_consts.CONSTS) <= 1024
    for b in (0.0, -0.0, math.nan, math.inf, 1e40, 1e-50):
        x * b
        assert b not in f32_consts.CONSTS


def test_float64_and_int_tensors_keep_the_number():
    d = engine.tensor([1.0, 2.0], dtype=engine.float64)
    assert (d * 0.1).numpy().tolist() == [0.1, 0.2]
    i = engine.tensor([1, 2])
    assert (i * 3).dtype == engine.int64 and (i * 3).tolist() == [3, 6]
    assert (i * 0.5).dtype == engine.float32


@pytest.mark.parametrize("key", ["mul", "div", "add", "sub"])
def test_nodes_grads_and_versions(key):
    fwd = OPS[key][0]
    x = engine.tensor([1.0, -2.0, 4.0], requires_grad=True)
    y = x * 1.0
    z = fwd(y, 2.5)
    assert z.grad_fn.next_functions[0][0] is y.grad_fn
    assert z.grad_fn.next_functions[1] == (None, 0)
    assert z.grad_fn.name() == {"mul": "MulBackward0", "div": "DivBackward0",
                                "add": "AddBackward0", "sub": "SubBackward0"}[key]
    # the number's grad is never needed: modifying y in place after mul/div is not an error
    # (PyTorch saves `other` only for self's grad, and a number has no version)
    y.add_(1.0)
    z.sum().backward()
    expected = {"mul": 2.5, "div": 1 / np.float32(2.5), "add": 1.0, "sub": 1.0}[key]
    assert np.allclose(x.grad.numpy(), expected)


@pytest.mark.torch
@pytest.mark.parametrize("b", [1.01, -0.37, 3, 1e-20, 2.5e30, -0.0], ids=repr)
def test_matches_pytorch_values_and_grads(b):
    torch = pytest.importorskip("torch")
    data = [0.3, -1.7, 2.0e3, 5.0e-8]
    out = []
    for lib in (engine, torch):
        x = lib.tensor(data, requires_grad=True)
        y = (((x * b + b) - b) / b).tanh() * b
        y.sum().backward()
        out.append((y.detach().numpy(), x.grad.numpy()))
    (ey, eg), (ty, tg) = out
    assert ey.dtype == ty.dtype == eg.dtype == np.float32
    assert np.array_equal(ey, ty, equal_nan=True)
    np.testing.assert_allclose(eg, tg, rtol=2e-6, atol=0)


@pytest.mark.torch
@pytest.mark.parametrize("b", [1.01, -0.37, 3, 1e-20, 2.5e30, -0.0, 7e-39], ids=repr)
def test_mul_by_a_number_backward_is_pytorchs_bit_for_bit(b):
    torch = pytest.importorskip("torch")
    data = [0.3, -1.7, 2.0e3, 5.0e-8]
    grad = [1.5, -0.2, 3.0e-5, 7.0]
    got = []
    for lib in (engine, torch):
        x = lib.tensor(data, requires_grad=True)
        (x * b).backward(lib.tensor(grad))
        got.append(x.grad.numpy())
    assert got[0].dtype == np.float32
    assert np.array_equal(_bits(got[0]), _bits(got[1]))


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("fn", ["tanh", "sigmoid"])
def test_activation_backward_dtype_and_values_match_pytorch(fn, dtype):
    """tanh's and sigmoid's backward use a float32 constant for float32 only: other dtypes keep
    their own, and the grads are PyTorch's."""
    torch = pytest.importorskip("torch")
    data = [-3.0, -0.5, 0.0, 0.25, 2.0, 9.0]
    grads = []
    for lib in (engine, torch):
        x = lib.tensor(data, dtype=getattr(lib, dtype), requires_grad=True)
        y = getattr(x, fn)()
        y.backward(lib.tensor([1.0, -2.0, 0.5, 3.0, 1.0, 1.0], dtype=getattr(lib, dtype)))
        assert x.grad.dtype == getattr(lib, dtype)
        grads.append(x.grad.double().numpy())
    tol = {"float16": 2e-3, "float32": 2e-7, "float64": 1e-15}[dtype]
    np.testing.assert_allclose(grads[0], grads[1], rtol=tol, atol=tol)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_relu_backward_is_pytorchs_threshold_backward(dtype):
    """0 where the output is <= 0, the grad itself elsewhere: a nan output passes its grad on,
    a nan or inf grad passes where the output is positive, zeros are +0."""
    torch = pytest.importorskip("torch")
    data = [math.nan, -1.0, 0.0, 2.0, -0.0, math.inf, 3.0, -math.inf]
    grad = [-1.0, -2.0, -3.0, math.nan, 5.0, -4.0, -math.inf, math.nan]
    got = []
    for lib in (engine, torch):
        x = lib.tensor(data, dtype=getattr(lib, dtype), requires_grad=True)
        x.relu().backward(lib.tensor(grad, dtype=getattr(lib, dtype)))
        assert x.grad.dtype == getattr(lib, dtype)
        got.append(x.grad.numpy())
    e, t = got
    assert np.array_equal(e, t, equal_nan=True)
    assert np.array_equal(np.signbit(e), np.signbit(t))
    # a broadcast (stride-0) grad, as backward(expanded) gives
    x = engine.tensor([[1.0, -1.0], [math.nan, 0.5]], requires_grad=True)
    y = x.relu()
    y.backward(engine.tensor([2.0, 3.0]).expand(2, 2))
    assert x.grad.tolist()[0] == [2.0, 0.0] and x.grad.tolist()[1] == [2.0, 3.0]
