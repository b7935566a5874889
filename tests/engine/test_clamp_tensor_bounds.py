"""clamp between tensor bounds: one ClampBackward0 node whose inputs are self, min and max (and
ClampMinBackward1/ClampMaxBackward1 for clamp_min/clamp_max by a tensor), PyTorch's grads at
ties and nans, and its overload choice when a tensor bound meets a number."""

from __future__ import annotations

import numpy as np
import pytest

import engine

NAN = float("nan")
X = [0.5, 1.0, 2.5, 3.0, 5.0, 1.0, 2.0, NAN, 1.0]
LO = [1.0, 1.0, 1.0, 1.0, 4.0, 2.0, 2.0, 1.0, NAN]
HI = [3.0, 3.0, 3.0, 3.0, 2.0, 2.0, 2.0, 3.0, 3.0]


def _leaves(lib):
    return tuple(lib.tensor(v, requires_grad=True) for v in (X, LO, HI))


def _names(node):
    return [None if f is None else f.name() for f, _ in node.next_functions]


def test_both_bounds_make_one_node_with_three_inputs():
    x, lo, hi = _leaves(engine)
    y = engine.clamp(x, min=lo, max=hi)
    node = y.grad_fn
    assert node.name() == "ClampBackward0"
    assert _names(node) == ["torch::autograd::AccumulateGrad"] * 3
    assert node._saved_self is x and node._saved_min is lo and node._saved_max is hi
    np.testing.assert_array_equal(y.detach().numpy(),
                                  np.float32([1, 1, 2.5, 3, 2, 2, 2, NAN, NAN]))
    y.backward(engine.arange(1.0, 10.0))
    # x's grad where lo <= x <= hi; lo's where x < lo < hi; hi's where x > hi or hi < lo;
    # none at x < lo == hi (index 5) or at a nan
    assert x.grad.tolist() == [0, 2, 3, 4, 0, 0, 7, 0, 0]
    assert lo.grad.tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert hi.grad.tolist() == [0, 0, 0, 0, 5, 0, 0, 0, 0]


def test_a_missing_bound_is_an_input_without_an_edge():
    x, _, hi = _leaves(engine)
    y = x.clamp(max=hi)
    assert y.grad_fn.name() == "ClampBackward0" and y.grad_fn._saved_min is None
    assert _names(y.grad_fn) == ["torch::autograd::AccumulateGrad", None,
                                 "torch::autograd::AccumulateGrad"]
    y.backward(engine.arange(1.0, 10.0))
    assert x.grad.tolist() == [1, 2, 3, 4, 0, 6, 7, 0, 9]
    assert hi.grad.tolist() == [0, 0, 0, 0, 5, 0, 0, 0, 0]


def test_clamp_min_and_max_by_a_tensor_have_their_own_nodes():
    x, lo, hi = _leaves(engine)
    a, b = x.clamp_min(lo), engine.clamp_max(x, hi)
    assert a.grad_fn.name() == "ClampMinBackward1" and b.grad_fn.name() == "ClampMaxBackward1"
    assert a.grad_fn._saved_min is lo and b.grad_fn._saved_max is hi
    (a + b).backward(engine.ones(9))
    assert x.grad.tolist() == [1, 2, 2, 2, 1, 1, 2, 0, 1]
    assert lo.grad.tolist() == [1, 0, 0, 0, 0, 1, 0, 0, 0]


def test_an_in_place_clamp_is_recorded_when_only_a_bound_requires_grad():
    _, lo, hi = _leaves(engine)
    z = engine.tensor(X)
    z.clamp_(min=lo, max=hi)
    assert z.grad_fn.name() == "ClampBackward0"
    assert _names(z.grad_fn) == [None, "torch::autograd::AccumulateGrad",
                                 "torch::autograd::AccumulateGrad"]


def test_signed_zero_within_the_bounds_is_kept():
    x = engine.tensor([-0.0, 0.0])
    y = x.clamp(engine.tensor([0.0, -0.0]), engine.tensor([0.0, -0.0]))
    assert [str(v) for v in y.tolist()] == ["-0.0", "0.0"]


def test_a_bound_tensor_beside_a_number():
    x = engine.tensor([0.5, 2.0], requires_grad=True)
    assert x.clamp(engine.tensor(1.0), 3.0).grad_fn.name() == "ClampBackward1"
    with pytest.raises(TypeError, match=r"got \(Tensor, max=float, min=Tensor\)"):
        x.clamp(min=engine.tensor([1.0, 1.0]), max=3.0)
    with pytest.raises(TypeError, match="invalid combination"):
        x.clamp(min=engine.tensor(1.0, requires_grad=True), max=3.0)


def test_promotion_of_three_operands():
    a = engine.tensor([1, 5, 9])
    r = engine.clamp(a, engine.tensor([2.5, 2.5, 2.5]), engine.tensor(7))
    assert r.dtype == engine.float32 and r.tolist() == [2.5, 5.0, 7.0]
    r = engine.clamp(engine.tensor([1.0, 5.0], dtype=engine.float16),
                     engine.tensor(2.0, dtype=engine.float64), engine.tensor([4.0]))
    assert r.dtype == engine.float32


def _program(lib):
    x, lo, hi = _leaves(lib)
    g = lib.arange(1.0, 10.0)
    out = []
    for f in (lambda: lib.clamp(x, lo, hi), lambda: x.clamp(min=lo), lambda: x.clip(max=hi),
              lambda: x.clamp_min(lo), lambda: x.clamp_max(hi),
              lambda: lib.clamp(x.double(), min=lo), lambda: (x * 1).clamp_(lo, hi)):
        y = f()
        node = y.grad_fn
        saved = {a: getattr(node, a) for a in dir(node) if a.startswith("_saved_")}
        idents = {a: [v is t for t in (x, lo, hi)] for a, v in saved.items()}
        values = {a: None if v is None else v.tolist() for a, v in saved.items()}
        y.backward(g.to(y.dtype))
        out.append((node.name(), _names(node), str(y.dtype), y.tolist(), idents, str(values),
                    [None if t.grad is None else t.grad.tolist() for t in (x, lo, hi)]))
        for t in (x, lo, hi):
            t.grad = None
    return str(out)


@pytest.mark.torch
def test_tensor_bounds_match_pytorch():
    torch = pytest.importorskip("torch")
    assert _program(engine) == _program(torch)


@pytest.mark.torch
def test_mixed_bound_error_matches_pytorch():
    torch = pytest.importorskip("torch")
    msgs = []
    for lib in (engine, torch):
        with pytest.raises(TypeError) as e:
            lib.clamp(lib.tensor([1.0]), min=lib.tensor([0.0]), max=2.0)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]
