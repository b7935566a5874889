"""``saved_tensors_hooks`` see a node's saved tensors in PyTorch's order: its generated nodes keep
them sorted by argument name (MulBackward0 packs ``other`` before ``self``, MmBackward0 ``mat2``
before ``self``) and only those a needed grad uses; unpacking in backward follows that order."""

from __future__ import annotations

import pytest

import engine

OPS = {
    "mul": lambda m, a, b, w: a * b,
    "div": lambda m, a, b, w: a / b,
    "mm": lambda m, a, b, w: a @ w,
    "bmm": lambda m, a, b, w: m.bmm(a.unsqueeze(0), w.unsqueeze(0)),
    "pow": lambda m, a, b, w: a ** b,
    "maximum": lambda m, a, b, w: m.maximum(a, b),
    "minimum": lambda m, a, b, w: m.minimum(a, b),
    "atan2": lambda m, a, b, w: m.atan2(a, b),
    "mul, b without grad": lambda m, a, b, w: a * b.detach(),
    "mm, a without grad": lambda m, a, b, w: a.detach() @ w,
    "exp": lambda m, a, b, w: a.exp(),
}


def _log(m, name):
    log = []

    def pack(t):
        log.append(("pack", tuple(t.shape), round(float(t.reshape(-1)[0]), 4)))
        return t

    def unpack(t):
        log.append(("unpack", tuple(t.shape), round(float(t.reshape(-1)[0]), 4)))
        return t

    a = m.full((2, 3), 1.5, requires_grad=True)
    b = m.full((2, 3), 2.0, requires_grad=True)
    w = m.full((3, 2), 3.0, requires_grad=True)
    with m.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = OPS[name](m, a, b, w)
    y.sum().backward()
    # a saved output is unpacked before the inputs here, after them in PyTorch: only the
    # inputs' unpacks are compared
    out = round(float(y.detach().reshape(-1)[0]), 4)
    return [e for e in log if not (e[0] == "unpack" and name in ("pow", "exp") and e[2] == out)]


@pytest.mark.torch
@pytest.mark.parametrize("name", OPS)
def test_pack_and_unpack_order_is_torchs(name):
    torch = pytest.importorskip("torch")
    assert _log(engine, name) == _log(torch, name)


def test_mul_packs_other_then_self():
    log = _log(engine, "mul")
    assert [e[2] for e in log] == [2.0, 1.5, 2.0, 1.5]
    assert [e[0] for e in log] == ["pack", "pack", "unpack", "unpack"]
    assert [e[2] for e in _log(engine, "mul, b without grad")] == [2.0, 2.0]  # self unsaved
