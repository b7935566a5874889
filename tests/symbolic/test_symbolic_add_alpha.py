"""``add``/``sub`` with ``alpha``: the closed form carries alpha, the matrix form scales the second
input's gradient by it, and both agree with the engine's grads."""

import numpy as np
import sympy as sp

import engine as torch
from symbolic import check


def test_the_closed_form_carries_alpha(record):
    with record() as rec:
        w = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
        v = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
        torch.sub(torch.add(w * w, v, alpha=3), w, alpha=0.25).sum().backward()
    report = check(rec.calls[0])
    assert report.ok
    w_el, v_el = report.elements
    w0 = sp.Symbol("w_0", real=True)
    # d/dw (w² + 3v − w/4) = 2w − 1/4; d/dv = 3
    assert sp.simplify(sp.sympify(w_el.closed_form, locals={"w_0": w0}) - (2 * w0 - 0.25)) == 0
    assert w_el.symbolic == 2 * 2.0 - 0.25 and v_el.symbolic == 3.0
    assert w_el.engine == 3.75 and v_el.engine == 3.0


def test_the_matrix_form_scales_the_second_grad_by_alpha(record):
    torch.manual_seed(3)
    with record() as rec:
        X = torch.randn(5, 3)
        W = torch.randn(3, 2, requires_grad=True)
        b = torch.randn(2, requires_grad=True)
        Z = torch.add(X @ W, b, alpha=0.5)
        L = torch.sub(Z.tanh(), X[:, :2], alpha=-2).pow(2).mean()
        L.backward()
    report = check(rec.calls[0])
    assert report.ok
    forms = {t.name: t.matrix_form for t in report.targets}
    assert forms["b"].text == "∂L/∂b = 1/2·Σ_rows ∂L/∂Z"
    assert forms["W"].text == "∂L/∂W = Xᵀ·(∂L/∂Z)"
    z = X.numpy().astype(float) @ W.detach().numpy().astype(float) + 0.5 * b.detach().numpy()
    h = np.tanh(z) + 2 * X.numpy()[:, :2].astype(float)
    dz = 2 / 10 * h * (1 - np.tanh(z) ** 2)
    np.testing.assert_allclose(b.grad.numpy(), 0.5 * dz.sum(0), rtol=1e-5, atol=1e-6)
