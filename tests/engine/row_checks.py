"""The checks of an op row against its public op, shared by the per-family row tests
(``test_rows_<family>.py``): the row has a numpy forward and the public op gives what it gives,
with or without grad; the public op records the row's node; the backward agrees with central
differences; the symbolic rule (the row's ``sym`` or symbolic's table) reproduces the forward on
both of symbolic's namespaces; PyTorch 2.13 agrees on node name, dtype, shape, values and grads.

A family's test module declares its ``Case`` table and a subclass of ``RowTests`` naming it, its
families and the rows whose symbolic rule stays in symbolic's table; ``RowTests`` runs every
check on every case (a family with a forward of its own shape overrides that one test)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

import engine
from engine.ops import OPS
from engine.ops.table import is_elementwise


@dataclass
class Case:
    key: str
    call: Callable  # call(lib, *leaves) -> a Tensor or a tuple of them; lib: engine or torch
    inputs: tuple  # the leaves' float64 arrays
    params: tuple = ()  # the row's forward: row.fwd(*args(*inputs), *params, **kw)
    kw: dict = field(default_factory=dict)
    args: Callable | None = None  # the node's input arrays from the leaves (default: the leaves)
    sym_args: Callable | None = None  # the rule's, where they differ from the forward's
    fd: bool = True  # False where the op is flat or kinked at every sample (say why)
    torch: bool = True  # False: no PyTorch op records this node from a user's call
    eps: float = 1e-6  # finite-difference step (a linear op takes a large one exactly)
    rtol: float = 1e-9  # the symbolic rule's values against the forward's
    grad_rtol: float = 1e-10  # PyTorch's grads against the engine's

    def __str__(self):
        return self.key


def functional(name, *args, **kw):
    """The ``call`` of ``lib.nn.functional.<name>(*leaves, *args, **kw)``."""
    return lambda lib, *leaves: getattr(lib.nn.functional, name)(*leaves, *args, **kw)


def family(*modules) -> set[str]:
    """The keys of the rows written in ``modules`` (their forward's or their VJP's module)."""
    names = {m.__name__ for m in modules}
    return {k for k, op in OPS.items() if getattr(op.vjp, "__module__", None) in names
            or getattr(op.fwd, "__module__", None) in names}


def _outs(x):
    return tuple(x) if isinstance(x, tuple | list) else (x,)


def _leaves(lib, case, requires_grad=True):
    return [lib.tensor(np.array(a, dtype=np.float64), requires_grad=requires_grad)
            for a in case.inputs]


def _node_args(case):
    return case.args(*case.inputs) if case.args else tuple(case.inputs)


def _run(case, requires_grad=True):
    return _outs(case.call(engine, *_leaves(engine, case, requires_grad)))


def _pick(results, out):
    """The one of a node's ``results`` that ``out`` is (a case may return one of several)."""
    return results[out._out_nr] if len(results) > 1 else results[0]


def check_forward(case: Case):
    """With and without grad, the public op's outputs are ``row.fwd``'s: dtype, shape, values."""
    row = OPS[case.key]
    assert row.fwd is not None, f"{case.key}: the row has no forward"
    res = row.fwd(*_node_args(case), *case.params, **case.kw)
    expected = _outs(res[0] if isinstance(res, tuple) else res)  # (out, attrs) or a bare out
    outs = _run(case)
    assert len(outs) in (1, len(expected)), case.key
    # which output a tensor is (``_out_nr``) is known from its node: unrecorded outputs are
    # compared with the recorded ones
    plain = _run(case, requires_grad=False)
    for o, p in zip(outs, plain, strict=True):
        e = np.asarray(_pick(expected, o))
        for got in (o._data, p._data):
            assert got.dtype == e.dtype and got.shape == e.shape, case.key
            np.testing.assert_array_equal(got, e, err_msg=case.key)


def check_node(case: Case):
    """The public op on leaves that require grad records the row's node."""
    row = OPS[case.key]
    node = _run(case)[0].grad_fn
    assert node is not None, case.key
    assert type(node) is row.cls, f"{case.key}: recorded by another row"
    assert node.name() == row.name, case.key


def _weights(outs):
    rng = np.random.default_rng(3)
    return [rng.standard_normal(o.shape) for o in outs]


def _weighted(outs, ws):
    return float(sum(np.sum(np.asarray(o._data, dtype=np.float64) * w) for o, w in zip(outs, ws)))


def check_backward(case: Case):
    """Every leaf's grad against central differences of a fixed weighting of the outputs."""
    leaves = _leaves(engine, case)
    outs = _outs(case.call(engine, *leaves))
    ws = _weights(outs)
    loss = sum((o * engine.tensor(w.astype(o._data.dtype))).sum() for o, w in zip(outs, ws))
    grads = engine.autograd.grad(loss, leaves, allow_unused=True)
    for i, (a, g) in enumerate(zip(case.inputs, grads, strict=True)):
        assert g is not None, f"{case.key}: no grad for input {i}"
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
        np.testing.assert_allclose(g.numpy(), fd, rtol=1e-5, atol=1e-7,
                                   err_msg=f"{case.key} input {i}")


def check_symbolic(case: Case):
    """The row's rule, run on symbolic's float and sympy namespaces with the recorded attrs,
    gives the forward's outputs (the rule is looked up as symbolic looks it up: ``RULES[key]``)."""
    from symbolic import rules  # noqa: F401  (every family's rules registered)
    from symbolic.rule_table import NUM, RULES, SYM, apply

    assert case.key in RULES, f"{case.key}: no symbolic rule"
    outs = _run(case)
    node = outs[0].grad_fn
    meta = getattr(node, "_out_meta", None)
    shapes = [tuple(s) for s, _ in meta] if meta else [o._data.shape for o in outs]
    args = case.sym_args(*case.inputs) if case.sym_args else _node_args(case)
    args = [np.asarray(a, dtype=np.float64) if isinstance(a, np.ndarray | list) else a
            for a in args]
    for ns in (NUM, SYM):
        got = apply(ns, case.key, args, node._attrs, shapes)
        for o in outs:
            value = np.vectorize(float, otypes=[np.float64])(_pick(got, o))
            np.testing.assert_allclose(value, np.asarray(o._data, dtype=np.float64),
                                       rtol=case.rtol, atol=1e-12, err_msg=case.key)


def check_torch(torch, case: Case):
    """PyTorch's node name, dtypes, shapes, values and grads for the same call."""
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
    for e, t in zip(eo, to, strict=True):
        assert str(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape), case.key
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=case.key)
    for e, t in zip(eg, tg, strict=True):
        assert (e is None) == (t is None), case.key
        if e is not None:
            assert str(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape), case.key
            np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=case.grad_rtol, atol=1e-12,
                                       err_msg=case.key)


def check_rule_homes(keys, kept_in_symbolic):
    """Each row of ``keys`` carries its symbolic forward (``sym``), except those listed in
    ``kept_in_symbolic`` (key -> why the rule needs a sympy-only construct), which symbolic's
    table holds instead; no row has both."""
    from symbolic import rules  # noqa: F401
    from symbolic.rule_table import RULES

    assert set(kept_in_symbolic) <= set(keys), "a kept rule of a row outside the family"
    for key in keys:
        row = OPS[key]
        if key in kept_in_symbolic:
            assert row.sym is None and key in RULES, key
        else:
            assert row.sym is not None, f"{key}: no sym in its row"
            # a rule set in symbolic's table would shadow the row's (an elementwise row's sym
            # is wrapped in a fresh adapter at each lookup: only its presence is checked)
            assert RULES[key] is row.sym or is_elementwise(row), \
                f"{key}: a second rule in symbolic's table"


def _only(flag):
    """Run the marked test on the cases whose ``flag`` is true only."""
    def mark(fn):
        fn.only = flag
        return fn
    return mark


class RowTests:
    """Every check on every case of ``cases``; the family's rows (``family(*families)``) are the
    cases' keys and ``elsewhere``'s (rows checked by another test), all with a forward but
    ``no_forward``'s, and each row's symbolic rule is its ``sym`` but ``kept_in_symbolic``'s
    (key -> why). Subclass as ``Test...`` in a family's test module."""

    cases: list = []
    families: tuple = ()
    elsewhere: frozenset = frozenset()
    no_forward: frozenset = frozenset()
    kept_in_symbolic: dict = {}

    def pytest_generate_tests(self, metafunc):
        if "case" in metafunc.fixturenames:
            flag = getattr(metafunc.function, "only", None)
            cases = [c for c in self.cases if flag is None or getattr(c, flag)]
            metafunc.parametrize("case", cases, ids=str)

    def test_every_row_of_the_family_has_a_case(self):
        assert family(*self.families) == {c.key for c in self.cases} | set(self.elsewhere)

    def test_every_row_of_the_family_has_a_forward_but_the_listed(self):
        rows = family(*self.families)
        assert {k for k in rows if OPS[k].fwd is None} == set(self.no_forward)

    def test_each_rows_symbolic_rule_is_its_sym_or_kept_in_symbolic_for_a_reason(self):
        pytest.importorskip("sympy")
        check_rule_homes(family(*self.families), self.kept_in_symbolic)

    def test_the_public_op_runs_the_rows_forward(self, case):
        check_forward(case)

    def test_the_public_op_records_the_rows_node(self, case):
        check_node(case)

    @_only("fd")
    def test_the_backward_agrees_with_finite_differences(self, case):
        check_backward(case)

    def test_the_symbolic_rule_reproduces_the_forward(self, case):
        pytest.importorskip("sympy")
        check_symbolic(case)

    @pytest.mark.torch
    @_only("torch")
    def test_pytorch_agrees(self, case):
        torch = pytest.importorskip("torch")
        check_torch(torch, case)
