"""With ``create_graph=True`` the backward of sum and mean over dims, squeeze and unsqueeze
records the nodes PyTorch records: one UnsqueezeBackward0 per summed or squeezed axis,
SqueezeBackward1 for an unsqueeze (not a ViewBackward0 reshape), mean's division by the count
after the expand (DivBackward1, a division by a number), so a double backward shows the same
graph."""

from __future__ import annotations

import numpy as np
import pytest

import engine


def _chain(t):
    names, fn = [], t.grad_fn
    while fn is not None:
        names.append(type(fn).__name__)
        nxt = [f for f, _ in fn.next_functions if f is not None]
        fn = nxt[0] if nxt else None
    return names


CASES = {
    "sum(2)": lambda x, z: x.sum(2),
    "sum((0, 2))": lambda x, z: x.sum((0, 2)),
    "sum((3, 0))": lambda x, z: x.sum((3, 0)),
    "squeeze()": lambda x, z: x.squeeze(),
    "squeeze(1)": lambda x, z: x.squeeze(1),
    "squeeze((1, 3))": lambda x, z: x.squeeze((1, 3)),
    "unsqueeze(0)": lambda x, z: z.unsqueeze(0),
    "unsqueeze(-1)": lambda x, z: z.unsqueeze(-1),
    "unsqueeze(1)": lambda x, z: z.unsqueeze(1),
    "view": lambda x, z: z.view(6),
    "mean(2)": lambda x, z: x.mean(2),
    "mean((0, 2))": lambda x, z: x.mean((0, 2)),
    "mean()": lambda x, z: x.mean(),
}


def _run(m, name):
    x = m.tensor(np.linspace(-1, 1, 6).reshape(2, 1, 3, 1), requires_grad=True)
    z = m.tensor(np.linspace(0.5, 2, 6).reshape(2, 3), requires_grad=True)
    y = CASES[name](x, z) * 1.0
    inp = z if "unsqueeze" in name or name == "view" else x
    g = m.ones_like(y, requires_grad=True)
    (gx,) = m.autograd.grad(y, inp, g, create_graph=True)
    (gg,) = m.autograd.grad((gx * gx).sum(), g)
    return _chain(gx), tuple(gx.shape), gg.detach().numpy().tolist()


def test_mean_backward_divides_by_a_number_after_expanding():
    x = engine.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    g = engine.ones((), requires_grad=True)
    (gx,) = engine.autograd.grad(x.mean(), x, g * 1.0, create_graph=True)
    assert _chain(gx)[:2] == ["DivBackward1", "ExpandBackward0"]
    assert gx.grad_fn._saved_other == 4 and gx.tolist() == [[0.25, 0.25], [0.25, 0.25]]


def test_unsqueeze_backward_squeezes():
    names, shape, _ = _run(engine, "unsqueeze(1)")
    assert names == ["SqueezeBackward1", "MulBackward0", "AccumulateGrad"] and shape == (2, 3)
    names, shape, _ = _run(engine, "sum((0, 2))")
    assert names[:3] == ["ExpandBackward0", "UnsqueezeBackward0", "UnsqueezeBackward0"]


@pytest.mark.torch
@pytest.mark.parametrize("name", CASES)
def test_double_backward_graph_is_torchs(name):
    torch = pytest.importorskip("torch")
    assert _run(engine, name) == _run(torch, name)
