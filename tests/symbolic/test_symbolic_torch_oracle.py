"""The closed forms agree with real PyTorch's gradients (the oracle), not only with the engine."""

import numpy as np
import pytest

import engine
from symbolic import Options, check_all


@pytest.mark.torch
def test_closed_forms_match_pytorch_on_an_mlp_with_cross_entropy(record):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3))
    w1, b1 = rng.standard_normal((4, 3)), rng.standard_normal(4)
    w2, b2 = rng.standard_normal((2, 4)), rng.standard_normal(2)
    target = [0, 1, 1, 0, 1]

    def run(lib, **kw):
        p = [lib.tensor(a, requires_grad=True, **kw) for a in (w1, b1, w2, b2)]
        h = lib.relu(lib.tensor(x, **kw) @ p[0].t() + p[1])
        logits = h @ p[2].t() + p[3]
        loss = lib.nn.functional.cross_entropy(logits, lib.tensor(target))
        loss.backward()
        return p

    expected = [t.grad.numpy().reshape(-1) for t in run(torch, dtype=torch.float64)]
    with record() as rec:
        run(engine, dtype=engine.float64)
    (report,) = check_all(rec.calls)
    assert report.ok
    got = [np.array([e.symbolic for e in t.elements]) for t in report.targets]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12)


@pytest.mark.torch
def test_second_and_third_derivatives_match_pytorch(record):
    torch = pytest.importorskip("torch")
    x0 = [0.3, -1.2, 0.8]
    v0 = [1.0, 0.5, -2.0]

    def run(lib, **kw):
        x = lib.tensor(x0, requires_grad=True, **kw)
        v = lib.tensor(v0, **kw)
        y = (x.tanh() * x.sigmoid() + x**3 * 0.5).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (hv,) = lib.autograd.grad((g * v).sum(), x, create_graph=True)  # Hessian-vector
        (third,) = lib.autograd.grad(hv.sum(), x)
        return [t.detach().numpy().copy() for t in (g, hv, third)]

    expected = run(torch, dtype=torch.float64)
    with record() as rec:
        got = run(engine, dtype=engine.float64)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    reports = check_all(rec.calls, Options(simplify_budget=0.5))  # sympy's simplify is slow here
    assert [r.order for r in reports] == [1, 2, 3] and all(r.ok for r in reports)
    for r, want in zip(reports, expected, strict=True):
        np.testing.assert_allclose([e.symbolic for e in r.elements], want, rtol=1e-9)
        np.testing.assert_allclose([e.finite for e in r.elements], want, rtol=1e-5)
