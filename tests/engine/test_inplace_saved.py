"""An in-place op that needs its input's old value saves a clone of it, as ATen does: the node's
``_saved_self`` reads back with grad_fn CloneBackward0 (whose edge is the input's old history),
while the op's own edge goes to that history directly; an op that saves its result (relu_,
sigmoid_, exp_) or needs no input value (mul_ by a number) clones nothing. Values are unchanged."""

from __future__ import annotations

import pytest

import engine
import engine.nn.functional as F

X = [-1.0, 0.25, 0.7, 2.0]
W = [0.5, 1.5, 2.0, 3.0]

CALLS = [
    "F.threshold_(y, 0.5, 3.0)", "torch.threshold_(y, 0.5, 3.0)",
    "F.threshold(y, 0.5, 3.0, inplace=True)", "torch.relu_(y)", "y.relu_()",
    "F.relu(y, inplace=True)", "y.clamp_(0, 1)", "y.clamp_(min=0)", "y.clamp_(max=0.5)",
    "y.mul_(2)", "y.mul_(w)", "y.mul_(w.detach())", "y.pow_(2)", "y.pow_(3.5)", "y.pow_(w)",
    "torch.sigmoid_(y)", "y.sigmoid_()", "y.exp_()", "torch.exp_(y)", "y.tanh_()",
    "torch.tanh_(y)", "y.sqrt_()", "y.div_(2)", "y.div_(w)", "y.atan2_(w)", "y.add_(w)",
    "y.sub_(w, alpha=2)", "y.neg_()", "y.masked_fill_(y > 0.5, 0.0)",
    # the in-place op on a view: the base takes CopySlices
    "y[1:].pow_(2)",
]


def _name(fn):
    return None if fn is None else type(fn).__name__


class _Values(list):
    """A saved tensor's values: equal within float32 rounding, nan equal to nan (exp and
    sigmoid round differently from ATen's in the last bit; that is not this file's matter)."""

    def __eq__(self, other):
        return list(other) == pytest.approx(list(self), rel=1e-6, nan_ok=True)


def _tensor(t):
    fn = t.grad_fn
    return (_name(fn), [(_name(f), i) for f, i in (fn.next_functions if fn else ())],
            t.requires_grad, t.is_leaf, t._version, _Values(t.reshape(-1).tolist()))


def _graph(torch, F, call):
    """What the in-place op's node shows: its name, its edges, every saved tensor."""
    x = torch.tensor(X, requires_grad=True)
    w = torch.tensor(W, requires_grad=True)
    y = x * 1
    eval(call, {"torch": torch, "F": F, "y": y, "w": w})  # the fixed calls above
    fn = y.grad_fn
    seen = {"node": _name(fn), "next": [(_name(f), i) for f, i in fn.next_functions]}
    for name in ("_saved_self", "_saved_other", "_saved_result", "_saved_exponent"):
        v = getattr(fn, name, "absent")
        seen[name] = _tensor(v) if isinstance(v, torch.Tensor) else v
    return seen


@pytest.mark.torch
@pytest.mark.parametrize("call", CALLS)
def test_the_saved_tensors_are_pytorchs(call):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as torch_f

    assert _graph(engine, F, call) == _graph(torch, torch_f, call)


def test_threshold_saves_a_clone_of_the_input_as_it_was():
    x = engine.tensor(X, requires_grad=True)
    y = x * 1
    before = y.grad_fn  # MulBackward0
    F.threshold_(y, 0.5, 3.0)
    node = y.grad_fn
    assert node.name() == "ThresholdBackward1"
    assert node.next_functions == ((before, 0),)  # the op's edge: the old history itself
    s = node._saved_self
    assert s.tolist() == pytest.approx(X) and y.tolist() == pytest.approx([3.0, 3.0, 0.7, 2.0])
    assert s.grad_fn.name() == "CloneBackward0" and s.grad_fn.next_functions == ((before, 0),)
    assert s.requires_grad and not s.is_leaf and s._version == 0
    assert node._saved_self is s  # one saved tensor, read back as the same object
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 1.0]


def test_ops_that_do_not_save_the_input_clone_nothing():
    x = engine.tensor(X, requires_grad=True)
    y = x * 1
    y.relu_()
    assert y.grad_fn._saved_result.grad_fn is y.grad_fn  # the result, not a clone of the input
    z = x * 1
    z.mul_(2.0)
    assert z.grad_fn._saved_self is None
    out_of_place = F.threshold(x, 0.5, 3.0)
    assert out_of_place.grad_fn._saved_self is x  # not in place: the input itself


def test_double_backward_runs_through_the_clone():
    x = engine.tensor(X, requires_grad=True)
    y = x * 1
    y.pow_(3)  # y = x³
    (g,) = engine.autograd.grad(y.sum(), x, create_graph=True)
    assert g.tolist() == pytest.approx([3 * v * v for v in X])  # 3x²
    (gg,) = engine.autograd.grad(g.sum(), x)
    assert gg.tolist() == pytest.approx([6 * v for v in X])  # 6x


def test_a_pack_hook_sees_the_clone():
    seen = []

    def pack(t):
        seen.append((t.grad_fn.name(), t.tolist()))
        return t

    x = engine.tensor(X, requires_grad=True)
    y = x * 1
    with engine.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y.pow_(2)
    assert seen == [("CloneBackward0", pytest.approx(X))]
    assert y.grad_fn._saved_self.grad_fn.name() == "CloneBackward0"
    y.sum().backward()
    assert x.grad.tolist() == pytest.approx([2 * v for v in X])
