"""L-BFGS: a quadratic solved exactly by hand-checkable steps, the two-loop recursion against a
dense BFGS inverse, state and errors, and differential checks against PyTorch (the fixed-step
variant step for step; the strong-Wolfe line search to the same minimum)."""

from __future__ import annotations

import numpy as np
import pytest
from layers_util import same_output

import engine

optim = engine.optim


def test_first_iteration_is_a_scaled_gradient_step():
    # f = sum(a * x^2): g = 2 a x; the first step is -g * min(1, 1 / |g|_1) * lr
    a = engine.tensor([1.0, 4.0], dtype=engine.float64)
    x = engine.tensor([1.0, 1.0], dtype=engine.float64, requires_grad=True)
    opt = optim.LBFGS([x], lr=0.5, max_iter=1)

    def closure():
        opt.zero_grad()
        loss = (a * x * x).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 5.0  # the loss before the step is returned
    g = np.array([2.0, 8.0])
    np.testing.assert_allclose(x.detach().numpy(), 1 - g * 0.5 / g.sum())
    assert opt.state[x]["n_iter"] == 1 and opt.state[x]["func_evals"] == 1


@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_solves_a_quadratic(line_search):
    rng = np.random.default_rng(0)
    m = rng.standard_normal((4, 4))
    A = engine.tensor(m @ m.T + 4 * np.eye(4))
    b = engine.tensor(rng.standard_normal(4))
    x = engine.zeros(4, dtype=engine.float64, requires_grad=True)
    opt = optim.LBFGS([x], lr=1 if line_search else 0.2, max_iter=100,
                      line_search_fn=line_search, tolerance_grad=1e-10, tolerance_change=1e-14)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x @ (A @ x)) - b @ x
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), np.linalg.solve(A.numpy(), b.numpy()),
                               rtol=1e-6, atol=1e-8)


def test_two_loop_direction_equals_the_dense_bfgs_inverse():
    # after k updates with pairs (s, y), the direction is -H g with H the BFGS inverse built from
    # H0 = (s.y / y.y) I by the same updates
    rng = np.random.default_rng(1)
    m = rng.standard_normal((3, 3))
    A = m @ m.T + 3 * np.eye(3)
    x = engine.tensor([1.0, -1.0, 0.5], dtype=engine.float64, requires_grad=True)
    At = engine.tensor(A)
    opt = optim.LBFGS([x], lr=0.3, max_iter=3)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x @ (At @ x))
        loss.backward()
        return loss

    opt.step(closure)
    st = opt.state[x]
    S = [s.numpy() for s in st["old_stps"]]
    Y = [y.numpy() for y in st["old_dirs"]]
    H = np.eye(3) * (S[-1] @ Y[-1]) / (Y[-1] @ Y[-1])
    for s, y in zip(S, Y):
        r = 1 / (y @ s)
        V = np.eye(3) - r * np.outer(s, y)
        H = V @ H @ V.T + r * np.outer(s, s)
    g = st["prev_flat_grad"].numpy()
    np.testing.assert_allclose(st["d"].numpy(), -H @ g, rtol=1e-10)


def test_errors_and_printing():
    x = engine.zeros(2, requires_grad=True)
    y = engine.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [x]}, {"params": [y]}])
    z = engine.ones(2, requires_grad=True)

    def closure():
        loss = (z * z).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        optim.LBFGS([z], line_search_fn="foo").step(closure)
    text = repr(optim.LBFGS([x]))
    assert "history_size: 100" in text and "max_eval: 25" in text


ROSENBROCK = """
def rosen(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2

for hist in (100, 2):
    x = torch.tensor([-1.5, 2.0], requires_grad=True)
    opt = optim.LBFGS([x], lr=0.1, history_size=hist)

    def closure():
        opt.zero_grad()
        loss = rosen(x)
        loss.backward()
        return loss

    for i in range(5):
        loss = opt.step(closure)
        print(hist, i, f"{loss.item():.6f}", x.detach(), opt.state[x]['func_evals'])
print(opt)
print(sorted(opt.state[x]))
"""

WOLFE = """
x = torch.tensor([-1.5, 2.0], requires_grad=True)
opt = optim.LBFGS([x], history_size=2, line_search_fn='strong_wolfe')

def closure():
    opt.zero_grad()
    loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    loss.backward()
    return loss

for i in range(3):
    loss = opt.step(closure)
    print(i, f"{loss.item():.5f}", x.detach(), opt.state[x]['n_iter'])
"""


@pytest.mark.torch
@pytest.mark.parametrize("src", [ROSENBROCK, WOLFE], ids=["fixed_step", "strong_wolfe"])
def test_same_output_as_pytorch(src):
    real = pytest.importorskip("torch")
    ours, theirs = same_output(src, real)
    assert "Error" not in ours
    assert ours == theirs


@pytest.mark.torch
def test_strong_wolfe_reaches_pytorchs_minimum():
    real = pytest.importorskip("torch")
    results = []
    for lib in (engine, real):
        lib.manual_seed(0)
        X = lib.randn(20, 3)
        Y = X @ lib.tensor([[1.0], [-2.0], [0.5]]) + 0.1
        m = lib.nn.Linear(3, 1)
        opt = lib.optim.LBFGS(m.parameters(), line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = lib.nn.functional.mse_loss(m(X), Y)
            loss.backward()
            return loss

        first = opt.step(closure).item()
        results.append((first, m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy()))
    (f1, w1, b1), (f2, w2, b2) = results
    assert f1 == pytest.approx(f2, rel=1e-6)
    np.testing.assert_allclose(w1, w2, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(b1, b2, rtol=1e-4, atol=1e-5)
