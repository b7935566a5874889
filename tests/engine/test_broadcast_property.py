"""Property test: binary ops on randomly broadcast shapes give grads reduced back to each
input's shape, equal to finite differences and (when importable) to PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck_util import engine_grads, numeric_grads
from hypothesis import given
from hypothesis import strategies as st

import engine

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "maximum": lambda a, b: engine.maximum(a, b),
    "mix": lambda a, b: (a * b).tanh() + a.exp() / (b.abs() + 1.0),
}


@st.composite
def broadcast_pair(draw):
    ndim = draw(st.integers(0, 3))
    full = draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim))

    def squash(shape):
        keep = draw(st.integers(0, len(shape)))
        tail = shape[len(shape) - keep:]
        return [n if draw(st.booleans()) else 1 for n in tail]

    return squash(full), squash(full)


@given(pair=broadcast_pair(), op=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 2**16))
def test_broadcast_grads_reduce_to_input_shapes(pair, op, seed):
    rng = np.random.default_rng(seed)
    sa, sb = pair
    a = rng.uniform(-2, 2, sa)
    b = rng.uniform(-2, 2, sb) + 0.01  # no exact ties for maximum
    fn = BINARY[op]
    numeric, probe = numeric_grads(fn, [a, b])
    ts, grads = engine_grads(fn, [a, b], probe)
    for t, g, n in zip(ts, grads, numeric):
        assert tuple(g.shape) == tuple(t.shape)
        np.testing.assert_allclose(g.numpy(), n, rtol=1e-5, atol=1e-6)


@pytest.mark.torch
@given(pair=broadcast_pair(), seed=st.integers(0, 2**16))
def test_broadcast_matches_pytorch(pair, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    sa, sb = pair
    a, b = rng.uniform(-2, 2, sa).astype(np.float32), rng.uniform(0.5, 2, sb).astype(np.float32)
    results = []
    for lib in (engine, torch):
        x = lib.tensor(a, requires_grad=True)
        y = lib.tensor(b, requires_grad=True)
        z = (x * y - x / y + (x - y) ** 2).sum()
        z.backward()
        results.append((z.item(), x.grad.numpy().copy(), y.grad.numpy().copy()))
    (z0, gx0, gy0), (z1, gx1, gy1) = results
    assert z0 == pytest.approx(z1, rel=1e-5, abs=1e-5)
    np.testing.assert_allclose(gx0, gx1, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gy0, gy1, rtol=1e-5, atol=1e-5)
