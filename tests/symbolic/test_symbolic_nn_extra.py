"""The three-way check (engine, sympy closed form, finite differences) on small MLPs using each
new activation, dropout, and the ordering/masking ops; kinks follow the engine's convention."""

import numpy as np
import pytest

import engine as torch
from engine import nn
from engine.nn import functional as F
from symbolic import Options, check, check_all

ACTIVATIONS = {
    "leaky_relu": lambda: nn.LeakyReLU(0.1),
    "elu": lambda: nn.ELU(0.7),
    "gelu": nn.GELU,
    "gelu_tanh": lambda: nn.GELU("tanh"),
    "silu": nn.SiLU,
    "softplus": lambda: nn.Softplus(beta=2.0, threshold=1.5),  # some units past the threshold
}


def _agrees(report, params):
    assert report.ok, report.failures
    assert not [n for n in report.notes if "replaying" in n or "could not" in n], report.notes
    for e in report.elements:
        assert e.symbolic is not None and e.checked
        assert e.finite == pytest.approx(e.symbolic, rel=1e-4, abs=1e-6), e
    grads = np.concatenate([p.grad.numpy().reshape(-1) for p in params])
    assert [e.engine for e in report.elements] == pytest.approx(grads.tolist(), rel=1e-6)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_mlp_with_each_activation_agrees_three_ways(record, name):
    torch.manual_seed(0)
    with record() as rec:
        model = nn.Sequential(nn.Linear(3, 4), ACTIVATIONS[name](), nn.Linear(4, 1))
        X = torch.randn(5, 3)
        Y = torch.randn(5, 1)
        F.mse_loss(model(X), Y).backward()
    (report,) = check_all(rec.calls, Options(time_limit=60))
    key = "gelu" if name == "gelu_tanh" else name
    assert key in {n.key for n in rec.calls[0].graph.nodes}
    _agrees(report, model.parameters())
    assert sum(t.checked for t in report.targets) == 12 + 4 + 4 + 1


def test_mlp_with_dropout_in_training_mode(record):
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 6), nn.SiLU(), nn.Dropout(0.5), nn.Linear(6, 1))
    X, Y = torch.randn(4, 3), torch.randn(4, 1)
    with record() as rec:
        F.mse_loss(model(X), Y).backward()
    (report,) = check_all(rec.calls, Options(time_limit=60))
    # dropout is input * noise (MulBackward0): the mask enters the closed form as constants
    assert "mul" in {n.key for n in rec.calls[0].graph.nodes}
    _agrees(report, model.parameters())


def test_ordering_and_masking_ops_in_one_graph(record):
    torch.manual_seed(4)
    with record() as rec:
        w = torch.randn(3, 4, requires_grad=True)
        v = torch.randn(3, 3, requires_grad=True)
        s = w.sort(1, descending=True).values * torch.arange(1.0, 5.0)
        top = w.topk(2, dim=0).values.sum()
        c = w.flip(0).cumsum(1).masked_fill(w > 0.5, -1.0).pow(2).sum()
        tri = (v.tril() ** 2).sum() + v.triu(1).exp().sum()
        (s.sum() + top + c + tri + F.leaky_relu(w, 0.3).erf().sum()).backward()
    (report,) = check_all(rec.calls, Options(time_limit=60))
    keys = {n.key for n in rec.calls[0].graph.nodes}
    assert {"sort", "topk", "flip", "cumsum", "masked_fill", "tril", "triu", "erf",
            "leaky_relu"} <= keys
    _agrees(report, [w, v])


def test_activation_kinks_take_the_engines_subgradient(record):
    # leaky_relu'(0) = slope and elu'(0) = alpha (x <= 0 branch), in closed form too
    with record() as rec:
        x = torch.tensor([0.0, 1.0, -1.0], dtype=torch.float64, requires_grad=True)
        (F.leaky_relu(x, 0.25) + F.elu(x, 0.5)).sum().backward()
    report = check(rec.calls[0])
    want = [0.25 + 0.5, 1 + 1, 0.25 + 0.5 * np.exp(-1)]
    assert [e.symbolic for e in report.elements] == pytest.approx(want)
    assert [e.engine for e in report.elements] == pytest.approx(want)
    assert report.ok


def test_second_order_through_gelu_and_softplus(record):
    with record() as rec:
        x = torch.tensor([-0.7, 0.2, 1.1], dtype=torch.float64, requires_grad=True)
        y = (F.gelu(x) * F.softplus(x, beta=1.5)).sum()
        (g,) = torch.autograd.grad(y, x, create_graph=True)
        (g * g).sum().backward()
    first, second = check_all(rec.calls, Options(time_limit=60))
    assert first.ok and second.ok and second.order == 2
    for e in second.elements:
        assert e.finite == pytest.approx(e.symbolic, rel=1e-4, abs=1e-6)
