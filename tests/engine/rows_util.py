"""The checks a family's completeness test runs on each of its op rows: the row has a numpy
forward and the public op gives its values, the public op records the row's node, the
backward agrees with central finite differences, the symbolic rule is reachable (the row's
``sym`` or symbolic's table) and gives the forward's value on the float64 and on the sympy
namespace, and PyTorch agrees where present.

A sample is ``Sample(key, public, inputs, params, torch_fn, grad_of)``: ``public(*tensors)`` is
the public op, ``row.fwd(*inputs, *extra, **params)`` its row's forward on the same float64
arrays (``extra``: non-differentiable array arguments such as class targets), ``torch_fn(torch,
*tensors)`` the same call on PyTorch (None: not compared), ``grad_of`` the input positions the
finite-difference check differentiates (default: all)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from gradcheck_util import engine_grads, numeric_grads

import engine
from engine.ops import OPS


@dataclass
class Sample:
    key: str
    public: object
    inputs: list
    params: dict = field(default_factory=dict)
    torch_fn: object = None
    extra: tuple = ()
    grad_of: tuple | None = None
    sym: bool = True

    def __str__(self):
        return self.key


def outputs(out):
    return out if isinstance(out, tuple) else (out,)


def check_forward(s: Sample):
    row = OPS[s.key]
    assert row.fwd is not None, f"{s.key}: the row has no forward"
    got = s.public(*[engine.tensor(a) for a in s.inputs])
    res = row.fwd(*s.inputs, *s.extra, **s.params)
    want = res if isinstance(res, np.ndarray) else res[0]  # an elementwise row: no attrs
    for g, w in zip(outputs(got), outputs(want), strict=True):
        np.testing.assert_array_equal(g.detach().numpy(), np.asarray(w), err_msg=s.key)


def check_node(s: Sample):
    ts = [engine.tensor(a, requires_grad=True) for a in s.inputs]
    out = s.public(*ts)
    assert out.grad_fn is not None, s.key
    assert out.grad_fn.name() == OPS[s.key].name
    assert type(out.grad_fn) is OPS[s.key].cls, f"{s.key}: recorded by another row"


def check_backward(s: Sample):
    wrt = range(len(s.inputs)) if s.grad_of is None else s.grad_of
    fixed = list(s.inputs)

    def fn(*moving):
        args = list(engine.tensor(a) for a in fixed)
        for i, t in zip(wrt, moving, strict=True):
            args[i] = t
        return s.public(*args)

    arrays = [s.inputs[i] for i in wrt]
    fd, probe = numeric_grads(fn, arrays)
    _, grads = engine_grads(fn, arrays, probe)
    for i, (g, n) in enumerate(zip(grads, fd, strict=True)):
        assert g is not None, f"{s.key}: no grad for input {i}"
        np.testing.assert_allclose(g.numpy(), n, rtol=1e-5, atol=1e-6, err_msg=s.key)


def check_rule(s: Sample):
    from symbolic import rule_table
    from symbolic.rules import RULES

    assert s.key in RULES, f"{s.key}: no symbolic rule"
    ts = [engine.tensor(a, requires_grad=True) for a in s.inputs]
    out = s.public(*ts)
    node = out.grad_fn
    args = [np.asarray(a, dtype=np.float64) for a in s.inputs]
    want = out.detach().numpy()
    (val,) = rule_table.apply(rule_table.NUM, s.key, args, node._attrs, [out.shape])
    np.testing.assert_allclose(val, want, rtol=1e-10, atol=1e-12, err_msg=s.key)
    # and on sympy's namespace, whose expressions of these numbers evaluate to the same values
    (exprs,) = rule_table.apply(rule_table.SYM, s.key, args, node._attrs, [out.shape])
    got = np.vectorize(float, otypes=[np.float64])(exprs)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=s.key)


def check_torch(s: Sample):
    torch = pytest.importorskip("torch")
    ts = [engine.tensor(a, requires_grad=True) for a in s.inputs]
    tt = [torch.tensor(a, requires_grad=True) for a in s.inputs]
    out = s.public(*ts)
    ref = s.torch_fn(torch, *tt)
    assert out.grad_fn.name() == ref.grad_fn.name()
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    probe = np.random.default_rng(2).standard_normal(tuple(ref.shape))
    (out * engine.tensor(probe)).sum().backward()
    (ref * torch.tensor(probe)).sum().backward()
    for e, t in zip(ts, tt, strict=True):
        if t.grad is not None:
            # rtol: PyTorch's celu backward scales by a float32-rounded 1 / alpha
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-10)


def family_keys(module):
    """The keys of the rows registered by ``module`` (an engine.ops family)."""
    return {k for k, op in OPS.items() if getattr(op.vjp, "__module__", None) == module.__name__
            or getattr(op.fwd, "__module__", None) == module.__name__}


def check_rule_homes(keys, kept_in_symbolic):
    """Each row of ``keys`` carries its symbolic forward (``sym``), except those listed in
    ``kept_in_symbolic`` (key -> why the rule needs a sympy-only construct), which symbolic's
    table holds instead; no row has both."""
    from symbolic.rules import RULES

    for key in keys:
        row = OPS[key]
        if key in kept_in_symbolic:
            assert row.sym is None and key in RULES, key
        else:
            assert row.sym is not None, f"{key}: no sym in its row"
            # a rule set in symbolic's table would shadow the row's
            assert RULES[key] is row.sym, f"{key}: a second rule in symbolic's table"
