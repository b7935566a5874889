"""The three-way check (engine, sympy closed form, finite differences) on small models built from
the layer families: a CNN with batch norm and pooling, an embedding model with layer norm and
the piecewise losses, an LSTM cell and a GRU layer."""

import numpy as np
import pytest

import engine as torch
from engine import nn
from engine.nn import functional as F
from symbolic import Options, check_all


def _agrees(report, params):
    assert report.ok, report.failures
    assert not [n for n in report.notes if "replaying" in n or "could not" in n], report.notes
    for e in report.elements:
        assert e.symbolic is not None and e.checked
        assert e.finite == pytest.approx(e.symbolic, rel=1e-4, abs=1e-6), e
    # the engine's grads are the parameters' (the report orders leaves by first use)
    grads = np.concatenate([p.grad.numpy().reshape(-1) for p in params])
    assert sorted(e.engine for e in report.elements) == pytest.approx(sorted(grads), rel=1e-6)


def _check(rec, model, keys):
    (report,) = check_all(rec.calls, Options(time_limit=120))
    seen = {n.key for n in rec.calls[0].graph.nodes}
    assert keys <= seen, keys - seen
    _agrees(report, list(model.parameters()))


def test_small_cnn_agrees_three_ways(record):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 2, padding=1, dtype=torch.float64),
                          nn.BatchNorm2d(2, dtype=torch.float64), nn.ReLU(), nn.MaxPool2d(2),
                          nn.AvgPool2d(1), nn.Flatten(), nn.Linear(8, 3, dtype=torch.float64))
    x = torch.randn(2, 1, 3, 3, dtype=torch.float64)
    with record() as rec:
        F.cross_entropy(model(x), torch.tensor([0, 2])).backward()
    _check(rec, model, {"convolution", "native_batch_norm", "max_pool2d", "avg_pool2d",
                        "addmm"})


def test_embedding_layer_norm_and_piecewise_losses_agree_three_ways(record):
    torch.manual_seed(1)
    model = nn.Sequential(nn.Embedding(5, 3, dtype=torch.float64), nn.LayerNorm(3,
                                                                               dtype=torch.float64))
    idx = torch.tensor([[0, 4], [2, 2]])
    y = torch.randn(2, 2, 3, dtype=torch.float64)
    with record() as rec:
        out = model(idx)
        (F.smooth_l1_loss(out, y, beta=0.5) + F.huber_loss(out, y, delta=0.7)).backward()
    _check(rec, model, {"embedding", "native_layer_norm", "smooth_l1_loss", "huber_loss"})


def test_recurrent_layers_agree_three_ways(record):
    torch.manual_seed(2)
    cell = nn.LSTMCell(2, 2, dtype=torch.float64)
    gru = nn.GRU(2, 2, batch_first=True, dtype=torch.float64)
    x = torch.randn(1, 2, 2, dtype=torch.float64)
    with record() as rec:
        h, c = cell(x[:, 0])
        out, hn = gru(x)
        ((h * c).sum() + (out ** 2).sum() + hn.sum()).backward()
    model = nn.ModuleList([cell, gru])
    _check(rec, model, {"unsafe_split", "transpose_", "stack", "sigmoid", "tanh"})
