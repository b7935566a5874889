"""Recurrent layers and cells: hand-derived steps, finite differences (inputs, initial states and
weights; one and two directions, stacked, batch_first), PyTorch's parameter names, initial
values, printing, node names and errors, and differential checks against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from layers_util import close, same_output

import engine
from engine.autograd import gradcheck, gradgradcheck

nn = engine.nn
rng = np.random.default_rng(11)


def t64(*shape):
    return engine.tensor(rng.standard_normal(shape), dtype=engine.float64, requires_grad=True)


def _set(module, value_of):
    with engine.no_grad():
        for name, p in module.named_parameters():
            p.copy_(engine.tensor(value_of(name, tuple(p.shape)), dtype=p.dtype))


def test_cells_by_hand():
    cell = nn.RNNCell(1, 1)
    _set(cell, lambda n, s: np.full(s, {"weight_ih": 0.5, "weight_hh": -1.0, "bias_ih": 0.25,
                                        "bias_hh": 0.25}[n]))
    h = cell(engine.tensor([[2.0]]), engine.tensor([[1.0]]))
    assert h.item() == pytest.approx(np.tanh(0.5 * 2 - 1.0 + 0.5))
    assert type(h.grad_fn).__name__ == "TanhBackward0"
    lstm = nn.LSTMCell(1, 1, bias=False)
    # gates i, f, g, o = sigmoid(1), sigmoid(0), tanh(-1), sigmoid(2) for x = 1, h = 0
    _set(lstm, lambda n, s: np.array([[1.0], [0.0], [-1.0], [2.0]]) if n == "weight_ih"
         else np.zeros(s))
    h, c = lstm(engine.tensor([[1.0]]), (engine.zeros(1, 1), engine.tensor([[3.0]])))
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    c_exp = sig(0.0) * 3.0 + sig(1.0) * np.tanh(-1.0)
    assert c.item() == pytest.approx(c_exp, rel=1e-6)
    assert h.item() == pytest.approx(sig(2.0) * np.tanh(c_exp), rel=1e-6)
    gru = nn.GRUCell(1, 1, bias=False)
    # r = sigmoid(0), z = sigmoid(0) = 1/2, n = tanh(x + r * h) for weight_hh = [0, 0, 1]
    _set(gru, lambda n, s: np.array([[0.0], [0.0], [1.0]]) if n == "weight_ih"
         else np.array([[0.0], [0.0], [1.0]]))
    h = gru(engine.tensor([[0.5]]), engine.tensor([[2.0]]))
    n = np.tanh(0.5 + 0.5 * 2.0)
    assert h.item() == pytest.approx(0.5 * n + 0.5 * 2.0, rel=1e-6)


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_gradients_against_finite_differences(cls):
    cell = getattr(nn, cls)(3, 2, dtype=engine.float64)
    lstm = cls == "LSTMCell"

    def f(x, h, c):
        out = cell(x, (h, c) if lstm else h)
        return out[0] * out[1] if lstm else out

    args = (t64(2, 3), t64(2, 2), t64(2, 2))
    assert gradcheck(f, args)
    assert gradgradcheck(f, args)


def _weight_fd(module, loss, eps=1e-6):
    """Finite-difference grads of ``loss()`` with respect to every parameter."""
    out = {}
    for name, p in module.named_parameters():
        g = np.zeros(p.shape)
        for idx in np.ndindex(*p.shape):
            old = p._data[idx]
            p._data[idx] = old + eps
            up = loss().item()
            p._data[idx] = old - eps
            down = loss().item()
            p._data[idx] = old
            g[idx] = (up - down) / (2 * eps)
        out[name] = g
    return out


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_layer_gradients_against_finite_differences(mode):
    m = getattr(nn, mode)(2, 3, num_layers=2, bidirectional=True, batch_first=True,
                          dtype=engine.float64)
    x = t64(2, 4, 2)
    probe = engine.tensor(rng.standard_normal((2, 4, 6)))
    h0 = t64(4, 2, 3)
    state = (h0, t64(4, 2, 3)) if mode == "LSTM" else h0

    def loss():
        out, hn = m(x, state)
        hn = hn[0] * hn[1] if mode == "LSTM" else hn
        return (out * probe).sum() + (hn ** 2).sum()

    loss().backward()
    fd = _weight_fd(m, loss)
    for name, p in m.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), fd[name], rtol=1e-5, atol=1e-7)
    if mode == "LSTM":
        assert gradcheck(lambda x, h, c: m(x, (h, c))[0], (x, *state))
    else:
        assert gradcheck(lambda x, h: m(x, h)[0], (x, h0))


def test_modules_print_and_name_their_parameters():
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    assert repr(m) == "LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)"
    names = [n for n, _ in m.named_parameters()]
    assert names[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                         "weight_ih_l0_reverse"]
    assert tuple(m.weight_ih_l1.shape) == (16, 8)
    assert repr(nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(2, 2, dropout=0.5)


def test_errors():
    cases = [
        (lambda: nn.LSTM(2, 3)(engine.randn(4, 1, 3)), RuntimeError,
         "input.size(-1) must be equal to input_size. Expected 2, got 3"),
        (lambda: nn.GRU(2, 3)(engine.randn(4, 1, 2), engine.randn(1, 2, 3)), RuntimeError,
         "Expected hidden size (1, 1, 3), got [1, 2, 3]"),
        (lambda: nn.LSTM(2, 3)(engine.randn(4, 1, 2), (engine.randn(2, 1, 3),
                                                       engine.randn(1, 1, 3))),
         RuntimeError, "Expected hidden[0] size (1, 1, 3), got [2, 1, 3]"),
        (lambda: nn.RNN(2, 3)(engine.randn(4, 1, 1, 2)), ValueError,
         "RNN: Expected input to be 2D or 3D, got 4D tensor instead"),
        (lambda: nn.RNNCell(2, 3)(engine.randn(1, 3)), RuntimeError,
         "input has inconsistent input_size: got 3 expected 2"),
        (lambda: nn.RNN(2, 3, nonlinearity="foo"), ValueError, "Unknown nonlinearity 'foo'"),
    ]
    for fn, cls, msg in cases:
        with pytest.raises(cls) as info:
            fn()
        assert msg in str(info.value)


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_values_and_grads_match_pytorch(mode, bidirectional):
    real = pytest.importorskip("torch")
    real.manual_seed(3)
    engine.manual_seed(3)
    kw = dict(num_layers=2, bidirectional=bidirectional, batch_first=True)
    ours, theirs = getattr(nn, mode)(3, 4, **kw), getattr(real.nn, mode)(3, 4, **kw)
    for (_, pe), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(pe, pt, rtol=0, atol=0)  # the same initial weights from the same seed
    a = rng.standard_normal((2, 5, 3)).astype(np.float32)
    xe, xt = engine.tensor(a, requires_grad=True), real.tensor(a, requires_grad=True)
    oe, he = ours(xe)
    ot, ht = theirs(xt)
    close(oe, ot)
    for a_, b_ in zip(he if mode == "LSTM" else [he], ht if mode == "LSTM" else [ht]):
        close(a_, b_)
        assert type(a_.grad_fn).__name__ == type(b_.grad_fn).__name__ == "StackBackward0"
    if mode != "LSTM":
        assert type(oe.grad_fn).__name__ == type(ot.grad_fn).__name__
    probe = rng.standard_normal(tuple(oe.shape)).astype(np.float32)
    (oe * engine.tensor(probe)).sum().backward()
    (ot * real.tensor(probe)).sum().backward()
    close(xe.grad, xt.grad, rtol=1e-4, atol=1e-5)
    for (_, pe), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(pe.grad, pt.grad, rtol=1e-4, atol=1e-5)


PROGRAMS = {
    "reprs_and_init": """
        torch.manual_seed(0)
        for m in [nn.RNN(3, 4), nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True),
                  nn.GRU(3, 4, bias=False, dropout=0.5, num_layers=2), nn.RNNCell(3, 4),
                  nn.LSTMCell(3, 4), nn.GRUCell(3, 4, bias=False)]:
            print(m, [(n, tuple(p.shape)) for n, p in m.named_parameters()])
        torch.manual_seed(0)
        print(nn.LSTM(2, 3).weight_ih_l0, nn.GRUCell(2, 2).bias_hh)
    """,
    "cells": """
        torch.manual_seed(1)
        x = torch.randn(3, 2)
        c = nn.LSTMCell(2, 3)
        h, cc = c(x)
        print(h, cc, h.grad_fn.next_functions, cc.grad_fn.next_functions)
        g = nn.GRUCell(2, 3)
        h = g(x, torch.ones(3, 3))
        print(h, h.grad_fn.next_functions)
        r = nn.RNNCell(2, 3, nonlinearity='relu')
        print(r(x[0]), r(x).grad_fn.next_functions)
    """,
    "layers": """
        torch.manual_seed(2)
        x = torch.randn(4, 1, 2)
        for m in [nn.GRU(2, 3, num_layers=2, bidirectional=True), nn.RNN(2, 3, batch_first=True),
                  nn.LSTM(2, 3, bidirectional=True)]:
            o, h = m(x)
            print(o, h, m(x[:, 0])[0].shape)
        g = nn.GRU(2, 3)
        o, h = g(x, torch.ones(1, 1, 3))
        print(o.grad_fn, o.grad_fn.next_functions, h.grad_fn)
    """,
    "hidden_error": "nn.GRU(2, 3)(torch.randn(4, 1, 2), torch.randn(1, 2, 3))",
    "input_error": "nn.LSTM(2, 3)(torch.randn(4, 1, 3))",
    "cell_hidden_errors": """
        for f in [lambda: nn.GRUCell(2, 3)(torch.randn(2, 2), torch.randn(2, 4)),
                  lambda: nn.LSTMCell(2, 3)(torch.randn(2, 2),
                                            (torch.randn(2, 3), torch.randn(2, 4))),
                  lambda: nn.RNNCell(2, 3)(torch.randn(2, 2), torch.randn(3, 3)),
                  lambda: nn.RNNCell(2, 3)(torch.randn(2, 2, 2)),
                  lambda: nn.RNNCell(2, 3)(torch.randn(2), torch.randn(1, 3))]:
            try:
                f()
            except Exception as e:
                print(type(e).__name__, e)
    """,
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_same_output_as_pytorch(name):
    real = pytest.importorskip("torch")
    ours, theirs = same_output(PROGRAMS[name], real)
    assert ours == theirs
