"""``autograd.grad(..., inputs)``: one walk computes the dependency counts and which nodes lead to
the inputs; only those run, on the inlined path, with the same values as a full backward."""

import numpy as np
import pytest

import engine as torch
from engine.autograd_engine import _dependencies, _dependencies_needed


def _graph():
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = torch.tensor([1.5, 0.25, -0.5], requires_grad=True)
    a = x.tanh() * y          # reaches x and y
    b = (y * 3.0).exp()       # reaches y only
    f = (a * a + b + a.sin()).sum()  # a is used twice: a diamond
    return x, y, a, b, f


def test_one_walk_counts_match_the_dependency_walk_and_marks_paths_to_targets():
    x, y, a, b, f = _graph()
    root = f.grad_fn
    deps, needed, every = _dependencies_needed({root}, {x.grad_fn or _acc(x)})
    assert deps == _dependencies({root})
    assert root in needed and a.grad_fn in needed
    assert b.grad_fn not in needed  # exp(3y) does not lead to x
    assert _acc(y) not in needed
    assert not every
    # towards both leaves every node is needed: autograd.grad then takes the inlined path
    deps, needed, every = _dependencies_needed({root}, {_acc(x), _acc(y)})
    assert every and needed == set(deps) | {root}


def _acc(t):
    from engine.node import accumulate_node

    return accumulate_node(t)


def test_grad_wrt_one_input_matches_hand_derived_values_and_skips_the_other_branch():
    x, y, a, b, f = _graph()
    seen = []
    y.register_hook(lambda g: seen.append(g))
    (gx,) = torch.autograd.grad(f, x, retain_graph=True)
    xd, yd = x.detach().numpy().astype(np.float64), y.detach().numpy().astype(np.float64)
    t = np.tanh(xd)
    ad = t * yd
    expected = (2 * ad + np.cos(ad)) * yd * (1 - t * t)
    np.testing.assert_allclose(gx.numpy(), expected, rtol=1e-5)
    assert seen == [] and x.grad is None and y.grad is None
    # the grad is bit-identical to the one a full backward accumulates
    f.backward()
    np.testing.assert_array_equal(gx.numpy(), x.grad.numpy())


def test_grad_wrt_an_intermediate_captures_it_and_runs_nothing_below():
    x, y, a, b, f = _graph()
    (ga,) = torch.autograd.grad(f, a)
    ad = a.detach().numpy().astype(np.float64)
    np.testing.assert_allclose(ga.numpy(), 2 * ad + np.cos(ad), rtol=1e-5)
    assert x.grad is None and y.grad is None


@pytest.mark.torch
def test_create_graph_hvp_matches_torch():
    tt = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    xv = rng.standard_normal(50).astype(np.float32)
    vv = rng.standard_normal(50).astype(np.float32)
    out = []
    for lib in (torch, tt):
        x = lib.tensor(xv, requires_grad=True)
        v = lib.tensor(vv)
        f = (x.tanh() ** 3 * x).sum()
        (g,) = lib.autograd.grad(f, x, create_graph=True)
        (hv,) = lib.autograd.grad((g * v).sum(), x)
        out.append((g.detach().numpy(), hv.numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-4, atol=1e-5)


def test_grad_of_leaves_every_node_leads_to_matches_a_full_backward_with_hooks():
    """The inlined path taken when every node leads to an input still runs leaf hooks, skips
    nodes with hooks to the general path, and leaves .grad alone."""
    x, y, a, b, f = _graph()
    seen_y, seen_a = [], []
    y.register_hook(lambda g: seen_y.append(g.numpy().copy()))
    a.register_hook(lambda g: seen_a.append(g.numpy().copy()) or g * 2)
    gx, gy = torch.autograd.grad(f, (x, y), retain_graph=True)
    assert x.grad is None and y.grad is None
    assert len(seen_y) == 1 and len(seen_a) == 1
    np.testing.assert_array_equal(seen_y[0], gy.numpy())
    f.backward()
    np.testing.assert_array_equal(gx.numpy(), x.grad.numpy())
    np.testing.assert_array_equal(gy.numpy(), y.grad.numpy())
