"""The completeness checks of an op row, shared by the ``test_rows_<family>`` tests: a row has a
numpy forward, the public op gives the forward's values and records the row's node, the
backward agrees with finite differences, the symbolic rule (the row's ``sym`` or symbolic's table)
gives the forward's values, and PyTorch 2.13 agrees where it is importable.

A ``Case`` names the row, the public call ``call(lib, *leaves)`` (``lib``: ``engine`` or
``torch``), the leaves' float64 arrays and the row forward's own arguments ``params``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from table_checks import check_against_torch, check_finite_differences

import engine
from engine.ops import OPS


@dataclass
class Case:
    key: str
    call: Callable
    arrays: tuple
    params: tuple = ()
    fwd_arrays: Callable | None = None  # the row forward's arrays from the leaves' (default: same)
    fd: bool = True  # False where the op is flat or kinked at every sample (its reason in a note)
    torch: bool = True
    node: str | None = None  # PyTorch's node name when PyTorch's op differs from the public call
    dtype: str = "float64"
    sym_inputs: Callable | None = None  # the node's inputs as arrays (default: the leaves')
    extra: dict = field(default_factory=dict)


def family_rows(module):
    """The keys of the rows whose forward is written in ``module`` (rows whose forward is a
    numpy function or missing: whose VJP is)."""
    name = module.__name__

    def home(op):
        where = getattr(op.fwd, "__module__", None) or ""
        return where if where.startswith("engine.") else op.vjp.__module__

    return {k for k, op in OPS.items() if home(op) == name}


def first(out):
    return out[0] if isinstance(out, tuple) else out


def leaves(case, lib=engine, requires_grad=True):
    return [lib.tensor(np.asarray(a).astype(case.dtype), requires_grad=requires_grad)
            for a in case.arrays]


def check_forward(case):
    """The row has a forward; the public op's output equals it, and records the row's node."""
    row = OPS[case.key]
    assert row.fwd is not None, f"{case.key}: the row has no forward"
    ts = leaves(case)
    out = first(case.call(engine, *ts))
    arrays = [np.asarray(a).astype(case.dtype) for a in case.arrays]
    if case.fwd_arrays is not None:
        arrays = case.fwd_arrays(*arrays)
    res = row.fwd(*arrays, *case.params)
    want = res if row.kind else res[0]
    if isinstance(want, tuple):  # several outputs: the one the case returns
        want = want[out._out_nr]
    np.testing.assert_array_equal(out.detach().numpy(), np.asarray(want), err_msg=case.key)
    assert out.grad_fn is not None and type(out.grad_fn) is row.cls, case.key
    assert out.grad_fn.name() == row.name
    return out


def check_backward(case):
    check_finite_differences(lambda m, *ts: first(case.call(m, *ts)), case.arrays, case.key)


def check_symbolic(case):
    """The op's symbolic rule, on the float64 and on the sympy namespace, gives the recorded
    output (the rule is looked up as symbolic looks it up: ``RULES[key]``)."""
    from symbolic.rules import NUM, RULES, SYM, apply

    assert case.key in RULES, f"{case.key}: no symbolic rule"
    ts = leaves(case)
    out = first(case.call(engine, *ts))
    node = out.grad_fn
    args = case.sym_inputs(*case.arrays) if case.sym_inputs else case.arrays
    args = [np.asarray(a, dtype=np.float64) if isinstance(a, np.ndarray | list) else a
            for a in args]
    want = out.detach().numpy().astype(np.float64)
    shapes = getattr(node, "_out_meta", None)
    shapes = [tuple(s) for s, _ in shapes] if shapes else [want.shape]
    num = apply(NUM, case.key, args, node._attrs, shapes)
    np.testing.assert_allclose(np.asarray(num[out._out_nr], dtype=np.float64), want, rtol=1e-9,
                               atol=1e-12, err_msg=case.key)
    sym = apply(SYM, case.key, args, node._attrs, shapes)
    got = np.vectorize(float, otypes=[np.float64])(sym[out._out_nr])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=case.key)


def check_torch(torch, case):
    row = OPS[case.key]
    check_against_torch(torch, lambda m, *ts: first(case.call(m, *ts)), case.arrays,
                        case.node or row.name, dtype=case.dtype)


def rows_without_sym(modules):
    """The rows of ``modules`` whose symbolic rule is not their ``sym`` (it stays in symbolic's
    table, keyed by the row's key)."""
    return {k for m in modules for k in family_rows(m) if OPS[k].sym is None}
