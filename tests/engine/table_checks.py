"""Shared checks for table-driven op tests: finite differences of an engine function and a
differential run against PyTorch (value, dtype, shape, node name, grads)."""

from __future__ import annotations

import numpy as np
from gradcheck_util import engine_grads, numeric_grads

import engine


def check_finite_differences(fn, arrays, name=""):
    """``fn(engine, *leaves)``'s grads against central differences in float64."""
    def f(*ts):
        return fn(engine, *ts)

    numeric, probe = numeric_grads(f, arrays)
    ts, grads = engine_grads(f, arrays, probe)
    for t, g, n in zip(ts, grads, numeric):
        got = np.zeros(t.shape) if g is None else g.numpy()
        np.testing.assert_allclose(got, n, rtol=1e-5, atol=1e-7, err_msg=name)


def check_against_torch(torch, fn, arrays, node, dtype="float64", grads=True):
    """Run ``fn(lib, *leaves)`` on the engine and on PyTorch: same node name, dtype, shape,
    values and (when ``grads``) grads of every leaf under a fixed weighting of the output."""
    outs = []
    for m in (engine, torch):
        ts = [m.tensor(np.asarray(a).astype(dtype), requires_grad=grads) for a in arrays]
        out = fn(m, *ts)
        if grads:
            w = np.linspace(-1.5, 2.0, out.numel()).reshape(tuple(out.shape)).astype(dtype)
            (out * m.tensor(w)).sum().backward()
        outs.append((out, [t.grad for t in ts]))
    (eo, eg), (to, tg) = outs
    if node is not None:
        assert type(eo.grad_fn).__name__ == type(to.grad_fn).__name__ == node
    assert str(eo.dtype) == str(to.dtype) and tuple(eo.shape) == tuple(to.shape)
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), **tol)
    for a, b in zip(eg, tg):
        assert (a is None) == (b is None)
        if a is not None:
            assert str(a.dtype) == str(b.dtype) and tuple(a.shape) == tuple(b.shape)
            np.testing.assert_allclose(a.numpy(), b.numpy(), **tol)


def same_error(torch, fn):
    """``fn(lib)`` raises the same error class and message on the engine and on PyTorch."""
    got = want = None
    try:
        fn(engine)
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        got = (type(e).__name__, str(e))
    try:
        fn(torch)
    except Exception as e:  # noqa: BLE001
        want = (type(e).__name__, str(e))
    assert want is not None, "PyTorch accepted the call"
    assert got == want
