"""``sort``/``argsort`` take PyTorch's two overloads: ``(input, dim=-1, descending=False)`` or, once
``stable`` is given, ``dim`` and ``descending`` by keyword only. Which calls are accepted, the
node each overload records and the TypeError of each rejected call are PyTorch 2.13's."""

from __future__ import annotations

import numpy as np
import pytest

import engine

X = [3.0, 1.0, 2.0, 1.0]

CALLS = [
    # accepted
    "torch.sort(x, stable=True)", "torch.sort(x, dim=0, stable=True)",
    "torch.sort(x, stable=True, dim=0, descending=True)", "torch.sort(x, 0, True)",
    "torch.sort(x, 0)", "torch.sort(x, descending=True)", "x.sort(stable=True)",
    "x.sort(dim=0, stable=True)", "torch.sort(x, stable=None)", "torch.sort(x, stable=False)",
    "x.sort(stable=None)", "torch.sort(x, 0, descending=True)", "torch.sort(input=x, stable=True)",
    "torch.sort(input=x, dim=0)", "x.sort(np.int64(0))", "x.sort(torch.tensor(0))",
    "torch.argsort(x, stable=True)", "x.argsort(stable=True, dim=0)", "torch.argsort(x, 0, True)",
    "torch.argsort(x, descending=True, stable=False)",
    # stable with dim or descending by position: the brief's case and its relatives
    "torch.sort(x, 0, stable=True)", "torch.sort(x, 0, True, stable=True)",
    "torch.sort(x, 0, stable=False)", "torch.sort(x, 0, descending=True, stable=True)",
    "torch.sort(x, True, stable=True)", "torch.sort(x, 0, False, True)",
    "x.sort(0, stable=True)", "x.sort(0, True, stable=True)", "x.sort(0, False, True)",
    "torch.argsort(x, 0, stable=True)", "torch.argsort(x, 0, True, stable=True)",
    "x.argsort(0, stable=True)", "x.argsort(0, True, stable=True)",
    "torch.argsort(x, 0, True, True)",
    # wrong types, unknown or missing arguments
    "torch.sort(x, True)", "torch.sort(x, stable=1)", "torch.sort(x, 'a')",
    "torch.sort(x, dim='a')", "torch.sort(x, stable='a')", "torch.sort(x, dim=None)",
    "torch.argsort(x, stable=None)", "x.sort(dim='a', stable=True, descending=True)",
    "torch.sort(x, dim=0, descending=1, stable=True)", "x.sort(dim=0, descending=True, foo=1)",
    "x.sort(1, 2, 3)", "x.sort(0, np.bool_(True))", "x.sort(stable=np.bool_(True))",
    "x.sort(0, 1)", "torch.sort(x, dim=0, dim2=1)", "x.argsort(stable=True, descending=True, foo=1)",
    "x.sort(stable=True, descending=True, dim=0, foo=1)", "x.sort(stable=True, dim=0, descending='a')",
    "x.sort(descending='a')", "x.sort(0, 'a')", "torch.sort(x, 0, 'a')",
    "x.sort(stable=True, stable2=1)",
]


def _run(torch, call):
    x = torch.tensor(X, requires_grad=True)
    try:
        r = eval(call, {"torch": torch, "x": x, "np": np})  # noqa: S307 - the fixed calls above
    except TypeError as e:
        return ("TypeError", str(e))
    if isinstance(r, tuple):  # sort's (values, indices)
        return (r.values.tolist(), r.indices.tolist(), type(r.values.grad_fn).__name__)
    return (r.tolist(),)


@pytest.mark.torch
@pytest.mark.parametrize("call", CALLS)
def test_the_call_is_accepted_or_refused_as_torch_does(call):
    torch = pytest.importorskip("torch")
    assert _run(engine, call) == _run(torch, call)


def test_stable_with_a_positional_dim_is_a_type_error():
    x = engine.tensor(X)
    with pytest.raises(TypeError, match=r"got \(Tensor, int, stable=bool\), but expected one of"):
        engine.sort(x, 0, stable=True)
    with pytest.raises(TypeError, match=r"keywords were incorrect: stable"):
        x.sort(0, stable=True)
    with pytest.raises(TypeError, match=r"takes from 1 to 0 positional arguments but 2 were"):
        x.sort(0, True, stable=True)


def test_each_overload_records_its_node():
    x = engine.tensor(X, requires_grad=True)
    assert x.sort(dim=0, stable=True).values.grad_fn.name() == "SortBackward1"
    assert engine.sort(x, stable=None).values.grad_fn.name() == "SortBackward1"
    assert engine.sort(x, 0, True).values.grad_fn.name() == "SortBackward0"
    out = engine.sort(x, dim=0, descending=True, stable=True)
    assert out.indices.tolist() == [0, 2, 1, 3]  # the tie keeps its order
