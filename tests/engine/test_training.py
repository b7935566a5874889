"""Training loops written the PyTorch way reach known answers: linear regression recovers the
least-squares solution, logistic regression the maximum-likelihood weights (Newton's method in
numpy), a 2-layer MLP learns XOR. Where torch is importable, the same script from the same
initial weights ends at the same parameters."""

from __future__ import annotations

import numpy as np
import pytest

import engine

nn, optim = engine.nn, engine.optim


def test_linear_regression_recovers_least_squares_solution():
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (100, 1)).astype(np.float32)
    y = (3.0 * x - 2.0 + 0.1 * rng.standard_normal((100, 1))).astype(np.float32)
    X, Y = engine.tensor(x), engine.tensor(y)
    model = nn.Linear(1, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.MSELoss()
    for _ in range(300):
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        opt.step()
    w_ls, b_ls = np.linalg.lstsq(np.hstack([x, np.ones_like(x)]), y, rcond=None)[0].ravel()
    assert model.weight.item() == pytest.approx(w_ls, abs=1e-4)
    assert model.bias.item() == pytest.approx(b_ls, abs=1e-4)
    assert abs(w_ls - 3.0) < 0.05 and abs(b_ls + 2.0) < 0.05  # and that is the truth, roughly


def newton_logistic(x, y, steps=30):
    """Maximum-likelihood logistic regression by Newton's method (the known answer)."""
    A = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(A.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-A @ w))
        grad = A.T @ (p - y) / len(y)
        hess = (A * (p * (1 - p))[:, None]).T @ A / len(y)
        w -= np.linalg.solve(hess, grad)
    return w


def test_logistic_regression_reaches_the_maximum_likelihood_weights():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200, 2))
    p_true = 1 / (1 + np.exp(-(x @ np.array([1.5, -2.0]) + 0.5)))
    y = (rng.uniform(size=200) < p_true).astype(np.float64)
    model = nn.Linear(2, 1).double()
    opt = optim.SGD(model.parameters(), lr=2.0, momentum=0.5)
    loss_fn = nn.BCEWithLogitsLoss()
    X, Y = engine.tensor(x), engine.tensor(y).reshape(-1, 1)
    for _ in range(400):
        opt.zero_grad()
        loss_fn(model(X), Y).backward()
        opt.step()
    w = newton_logistic(x, y)
    np.testing.assert_allclose(model.weight.detach().numpy().ravel(), w[:2], atol=1e-6)
    assert model.bias.item() == pytest.approx(w[2], abs=1e-6)


def test_logistic_regression_with_sigmoid_and_bce_matches_bce_with_logits():
    rng = np.random.default_rng(2)
    x = engine.tensor(rng.standard_normal((50, 3)))
    y = engine.tensor((rng.uniform(size=(50, 1)) < 0.5).astype(np.float64))
    a = nn.Linear(3, 1).double()
    b = nn.Sequential(nn.Linear(3, 1), nn.Sigmoid()).double()
    b.load_state_dict({"0." + k: v for k, v in a.state_dict().items()})
    oa, ob = optim.SGD(a.parameters(), lr=0.5), optim.SGD(b.parameters(), lr=0.5)
    for _ in range(50):
        for model, opt, loss_fn in ((a, oa, nn.BCEWithLogitsLoss()), (b, ob, nn.BCELoss())):
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
    np.testing.assert_allclose(b[0].weight.detach().numpy(), a.weight.detach().numpy(),
                               rtol=1e-10)


def test_two_layer_mlp_learns_xor():
    x = engine.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = engine.tensor([0, 1, 1, 0])
    engine.manual_seed(3)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    opt = optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(300):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.02 < losses[0]
    assert model(x).argmax(1).tolist() == [0, 1, 1, 0]


def test_minibatch_loop_with_dataloader_converges():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((256, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 1.0).astype(np.float32)
    loader = engine.utils.data.DataLoader(
        engine.utils.data.TensorDataset(engine.tensor(x), engine.tensor(y)), batch_size=32,
        shuffle=True, generator=engine.Generator().manual_seed(0))
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for _ in range(20):
        for xb, yb in loader:
            opt.zero_grad()
            nn.functional.mse_loss(model(xb), yb).backward()
            opt.step()
    np.testing.assert_allclose(model.weight.detach().numpy(), [[1.0, -2.0, 0.5]], atol=1e-3)
    assert model.bias.item() == pytest.approx(1.0, abs=1e-3)


# ---- differential: the same script on torch and on the engine ------------------------------------
def train_script(lib, init, x, y, opt_name, opt_kw, steps, batch=None):
    """A tutorial training loop; identical text for both libraries."""
    model = lib.nn.Sequential(lib.nn.Linear(4, 16), lib.nn.ReLU(), lib.nn.Linear(16, 3))
    model = model.double()
    with lib.no_grad():
        for p, w in zip(model.parameters(), init, strict=True):
            p.copy_(lib.tensor(w))
    opt = getattr(lib.optim, opt_name)(model.parameters(), **opt_kw)
    loss_fn = lib.nn.CrossEntropyLoss()
    X, Y = lib.tensor(x), lib.tensor(y)
    losses = []
    for step in range(steps):
        xb, yb = (X, Y) if batch is None else (X[step % 4 * batch:(step % 4 + 1) * batch],
                                               Y[step % 4 * batch:(step % 4 + 1) * batch])
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return [p.detach().numpy().copy() for p in model.parameters()], losses


@pytest.mark.torch
@pytest.mark.parametrize("opt_name,opt_kw,batch", [
    ("SGD", {"lr": 0.1}, None),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}, 10),
    ("Adam", {"lr": 0.01}, None),
    ("Adam", {"lr": 0.01, "weight_decay": 1e-2, "amsgrad": True}, 10),
])
def test_same_script_reaches_same_parameters_as_torch(opt_name, opt_kw, batch):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((40, 4))
    y = rng.integers(0, 3, 40)
    init = [rng.standard_normal((16, 4)) * 0.5, rng.standard_normal(16) * 0.1,
            rng.standard_normal((3, 16)) * 0.3, rng.standard_normal(3) * 0.1]
    pe, le = train_script(engine, init, x, y, opt_name, opt_kw, 60, batch)
    pt, lt = train_script(torch, init, x, y, opt_name, opt_kw, 60, batch)
    np.testing.assert_allclose(le, lt, rtol=1e-9)
    for a, b in zip(pe, pt, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    assert lt[-1] < lt[0]


@pytest.mark.torch
def test_float32_training_tracks_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    init = [(rng.standard_normal((16, 4)) * 0.5).astype(np.float32),
            np.zeros(16, np.float32), (rng.standard_normal((3, 16)) * 0.3).astype(np.float32),
            np.zeros(3, np.float32)]
    results = []
    for lib in (engine, torch):
        model = lib.nn.Sequential(lib.nn.Linear(4, 16), lib.nn.ReLU(), lib.nn.Linear(16, 3))
        with lib.no_grad():
            for p, w in zip(model.parameters(), init, strict=True):
                p.copy_(lib.tensor(w))
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(30):
            opt.zero_grad()
            lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y)).backward()
            opt.step()
        results.append([p.detach().numpy().copy() for p in model.parameters()])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
