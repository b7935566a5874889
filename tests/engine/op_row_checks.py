"""Checks of an op row against its public op, shared by the per-family row tests
(``test_rows_<family>.py``): the row has a forward, the public op gives what ``row.fwd`` gives on
the numpy inputs and records the row's node, its backward agrees with central differences, its
symbolic rule (the row's ``sym`` or symbolic's table) reproduces the forward on both of
symbolic's namespaces, and PyTorch 2.13 agrees on values, node name and grads.

A ``Case`` says how to call the public op (``call(lib, *leaves)`` with ``lib`` the engine or
torch), on which float64 leaves, and which arrays and parameters the row's forward takes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import engine
from engine.ops import OPS


@dataclass
class Case:
    key: str
    call: Callable  # call(lib, *leaf tensors) -> a Tensor or a tuple of Tensors
    inputs: tuple  # the leaves, float64 arrays
    params: tuple = ()  # the row's forward: row.fwd(*args(*inputs), *params, **kw)
    kw: dict = field(default_factory=dict)
    args: Callable | None = None  # the node's input arrays from the leaves (default: the leaves)
    sym_args: Callable | None = None  # the rule's, where they differ from the forward's
    torch: bool = True  # False: no PyTorch op records this node from a user's call
    eps: float = 1e-6  # finite-difference step (a linear op takes a large one exactly)
    rtol: float = 1e-7

    def __str__(self):
        return self.key


def family(module: str) -> set[str]:
    """The keys of the rows registered by ``module`` (where their VJPs are written)."""
    return {k for k, op in OPS.items() if op.vjp.__module__ == module}


def _outs(x):
    return tuple(x) if isinstance(x, tuple | list) else (x,)


def _leaves(lib, case, requires_grad=True):
    return [lib.tensor(np.array(a, dtype=np.float64), requires_grad=requires_grad)
            for a in case.inputs]


def _node_args(case):
    return case.args(*case.inputs) if case.args else tuple(case.inputs)


def check_forward(case: Case):
    """The public op's outputs are ``row.fwd``'s and carry the row's node; returns the node."""
    row = OPS[case.key]
    assert row.fwd is not None, f"{case.key}: the row has no forward"
    outs = _outs(case.call(engine, *_leaves(engine, case)))
    expected, _ = row.fwd(*_node_args(case), *case.params, **case.kw)
    expected = _outs(expected)
    assert len(outs) == len(expected)
    for o, e in zip(outs, expected):
        assert o._data.dtype == e.dtype and o._data.shape == e.shape, case.key
        np.testing.assert_array_equal(o._data, e, err_msg=case.key)
    node = outs[0].grad_fn
    assert type(node) is row.cls and node.name() == row.name, case.key
    return node, outs


def _weights(outs):
    rng = np.random.default_rng(3)
    return [rng.standard_normal(o.shape) for o in outs]


def _weighted(outs, ws):
    return float(sum(np.sum(np.asarray(o._data, dtype=np.float64) * w) for o, w in zip(outs, ws)))


def check_backward(case: Case):
    """The grads of every leaf against central differences of a fixed weighting of the outputs."""
    leaves = _leaves(engine, case)
    outs = _outs(case.call(engine, *leaves))
    ws = _weights(outs)
    loss = sum((o * engine.tensor(w.astype(o._data.dtype))).sum() for o, w in zip(outs, ws))
    grads = engine.autograd.grad(loss, leaves, allow_unused=True)
    for i, (a, g) in enumerate(zip(case.inputs, grads)):
        a = np.array(a, dtype=np.float64)
        fd = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            vals = []
            for step in (case.eps, -case.eps):
                moved = [np.array(x, dtype=np.float64) for x in case.inputs]
                moved[i][idx] += step
                with engine.no_grad():
                    vals.append(_weighted(_outs(case.call(engine, *map(engine.tensor, moved))),
                                          ws))
            fd[idx] = (vals[0] - vals[1]) / (2 * case.eps)
        got = np.zeros_like(a) if g is None else g.numpy()
        np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-6, err_msg=f"{case.key} input {i}")


def check_symbolic(case: Case):
    """The row's rule, run on symbolic's float and sympy namespaces with the recorded attrs,
    gives the forward's outputs."""
    from symbolic import rules  # noqa: F401  (every family's rules registered)
    from symbolic.rule_table import NUM, RULES, SYM, apply

    assert case.key in RULES, f"{case.key}: no symbolic rule"
    node, outs = check_forward(case)
    shapes = [o._data.shape for o in outs]
    args = case.sym_args(*case.inputs) if case.sym_args else _node_args(case)
    for ns in (NUM, SYM):
        got = apply(ns, case.key, args, node._attrs, shapes)
        for g, o in zip(got, outs):
            np.testing.assert_allclose(np.asarray(g, dtype=np.float64),
                                       np.asarray(o._data, dtype=np.float64),
                                       rtol=case.rtol, atol=1e-12, err_msg=case.key)


def check_torch(torch, case: Case):
    """PyTorch's values, node name and grads for the same call."""
    results = []
    for lib in (engine, torch):
        leaves = _leaves(lib, case)
        outs = _outs(case.call(lib, *leaves))
        ws = _weights(outs)
        loss = sum((o * lib.tensor(w).to(o.dtype)).sum() for o, w in zip(outs, ws))
        grads = lib.autograd.grad(loss, leaves, allow_unused=True)
        results.append((outs, grads))
    (eo, eg), (to, tg) = results
    assert eo[0].grad_fn.name() == to[0].grad_fn.name() == OPS[case.key].name, case.key
    for e, t in zip(eo, to):
        assert str(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape), case.key
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-6,
                                   err_msg=case.key)
    for e, t in zip(eg, tg):
        assert (e is None) == (t is None), case.key
        if e is not None:
            np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6, atol=1e-12,
                                       err_msg=case.key)
