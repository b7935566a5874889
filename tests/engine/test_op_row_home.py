"""An elementwise op's row is its whole home: a row registered here, at test time and with no
other edit, is ``torch.<name>``, ``Tensor.<name>`` and ``Tensor.<name>_``, records its node,
differentiates (also twice), and ``stepgrad check`` finds its scalar sympy rule and derives its
matrix form from it. And the op table is complete on ``import engine`` alone."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import engine as torch
from engine.ops import OPS, register, unregister

ROOT = Path(__file__).resolve().parents[2]
KEY = "probe_log1p"


@pytest.fixture
def log1p_row():
    """A ``log1p`` twin under a new key and name, registered from one row and removed after."""
    op = register(KEY, "ProbeLog1PBackward0", np.log1p,
                  lambda m, g, out, s, a, need: (g / (s[0] + 1.0),), save_inputs=True,
                  doc="log(1 + a)", kind="unary", names=(KEY, "probe_alias"),
                  sym=lambda ns, x: ns.log(x + 1))
    yield op
    unregister(KEY)


@pytest.fixture
def atan2_row():
    """An ``atan2`` twin: a binary row."""
    y_, x_ = (0, 1)

    def vjp(m, g, out, s, a, need):
        y, x = s
        d = y * y + x * x
        return (m.sum_to(g * x / d, a[y_]) if need[y_] else None,
                m.sum_to(-g * y / d, a[x_]) if need[x_] else None)

    op = register("probe_atan2", "ProbeAtan2Backward0", np.arctan2, vjp, save_inputs=True,
                  doc="atan2(a, b)", kind="binary", names=("probe_atan2",),
                  sym=lambda ns, y, x: ns.atan2(y, x))
    yield op
    unregister("probe_atan2")


def test_the_row_alone_binds_function_method_and_in_place(log1p_row):
    for name in (KEY, "probe_alias"):
        assert callable(getattr(torch, name))
        assert callable(getattr(torch.Tensor, name))
        assert callable(getattr(torch.Tensor, name + "_"))
    x = torch.tensor([1e-8, 0.5, 3.0], dtype=torch.float64)
    # log1p's precision, which log(1 + x) loses at 1e-8
    assert torch.probe_log1p(x).tolist() == [math.log1p(v) for v in (1e-8, 0.5, 3.0)]
    assert x.probe_alias().tolist() == torch.probe_log1p(x).tolist()
    # integers compute in the default dtype, as PyTorch's float functions do
    i = torch.probe_log1p(torch.tensor([0, 1]))
    assert i.dtype == torch.float32 and i.tolist() == pytest.approx([0.0, math.log(2)])
    with pytest.raises(TypeError, match=r"probe_log1p\(\): argument 'input' \(position 1\) "
                                        r"must be Tensor, not float"):
        torch.probe_log1p(1.0)


def test_removing_the_row_removes_its_names():
    register(KEY, "ProbeLog1PBackward0", np.log1p,
             lambda m, g, out, s, a, need: (g / (s[0] + 1.0),), save_inputs=True,
             kind="unary", names=(KEY,), sym=lambda ns, x: ns.log(x + 1))
    assert hasattr(torch.Tensor, KEY + "_")
    unregister(KEY)
    assert KEY not in OPS
    assert not hasattr(torch, KEY) and not hasattr(torch.Tensor, KEY)
    assert not hasattr(torch.Tensor, KEY + "_")


def test_the_row_records_its_node_and_its_backward_agrees_with_finite_differences(log1p_row):
    xs = np.array([0.3, 1.5, -0.4])
    x = torch.tensor(xs, requires_grad=True)
    y = torch.probe_log1p(x)
    assert y.grad_fn.name() == "ProbeLog1PBackward0"
    assert type(y.grad_fn) is log1p_row.cls
    w = np.array([1.0, -2.0, 0.5])
    (y * torch.tensor(w)).sum().backward()
    h = 1e-6
    fd = w * (np.log1p(xs + h) - np.log1p(xs - h)) / (2 * h)
    np.testing.assert_allclose(x.grad.numpy(), fd, rtol=1e-8)
    # the row's VJP on numpy gives the same grad
    from engine.ns import NP

    (vjp,) = log1p_row.vjp(NP, w, None, (xs,), None, (True,))
    np.testing.assert_allclose(x.grad.numpy(), vjp, rtol=0, atol=0)


def test_double_backward_through_the_rows_vjp(log1p_row):
    x = torch.tensor([0.25, 2.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(x.probe_log1p().sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 1 / (1 + x.detach().numpy()))
    assert g.grad_fn is not None
    (gg,) = torch.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), -1 / (1 + x.detach().numpy()) ** 2, rtol=1e-12)


def test_the_in_place_form_rebases_the_history(log1p_row):
    x = torch.tensor([0.5, 1.0], requires_grad=True)
    y = x * 2.0
    assert y.probe_log1p_() is y
    assert y.grad_fn.name() == "ProbeLog1PBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 / (1 + 2 * np.array([0.5, 1.0])), rtol=1e-6)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used"):
        x.probe_log1p_()


def test_a_binary_row_binds_too(atan2_row):
    a = torch.tensor([1.0, -2.0], requires_grad=True)
    b = torch.tensor([3.0, 0.5], requires_grad=True)
    out = torch.probe_atan2(a, b)
    assert out.grad_fn.name() == "ProbeAtan2Backward0"
    np.testing.assert_allclose(out.detach().numpy(), np.arctan2([1.0, -2.0], [3.0, 0.5]),
                               rtol=1e-6)
    out.sum().backward()
    av, bv = np.array([1.0, -2.0]), np.array([3.0, 0.5])
    np.testing.assert_allclose(a.grad.numpy(), bv / (av**2 + bv**2), rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), -av / (av**2 + bv**2), rtol=1e-6)
    with pytest.raises(TypeError, match=r"probe_atan2\(\): argument 'other' \(position 1\) "
                                        r"must be Tensor, not float"):
        a.probe_atan2(2.0)


@pytest.mark.torch
def test_the_row_agrees_with_pytorchs_log1p(log1p_row):
    torch_ = pytest.importorskip("torch")
    xs = [1e-8, 0.25, 4.0]
    x = torch.tensor(xs, requires_grad=True)
    t = torch_.tensor(xs, requires_grad=True)
    x.probe_log1p().sum().backward()
    torch_.log1p(t).sum().backward()
    np.testing.assert_allclose(x.probe_log1p().detach().numpy(), torch_.log1p(t).detach().numpy(),
                               rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_stepgrad_check_derives_the_rows_closed_and_matrix_forms(log1p_row):
    pytest.importorskip("sympy")
    from engine import observe
    from symbolic import CallTraceRecorder, check_all
    from symbolic.rules import RULES

    assert KEY in RULES and KEY in set(RULES)
    rec = CallTraceRecorder()
    with observe.observing(rec):
        w = torch.tensor([[0.2, 1.5], [0.7, 3.0]], dtype=torch.float64, requires_grad=True)
        (torch.probe_log1p(w) * torch.tensor([[1.0, 2.0], [3.0, 4.0]],
                                             dtype=torch.float64)).sum().backward()
    (report,) = check_all(rec.calls)
    assert report.ok, report.notes
    (target,) = report.targets
    assert target.checked == target.total == 4
    assert all(e.ok and e.checked for e in target.elements)
    assert target.elements[0].closed_form == "1/(w_0_0 + 1)"  # d/dw log(w + 1)
    expected = np.array([[1.0, 2.0], [3.0, 4.0]]) / (1 + w.detach().numpy())
    assert [e.symbolic for e in target.elements] == pytest.approx(expected.reshape(-1).tolist())
    mf = target.matrix_form
    assert mf is not None and mf.ok and mf.mismatched == 0 and mf.compared == 4, mf


def test_stepgrad_check_derives_a_binary_rows_matrix_form(atan2_row):
    pytest.importorskip("sympy")
    from engine import observe
    from symbolic import CallTraceRecorder, check_all

    rec = CallTraceRecorder()
    with observe.observing(rec):
        a = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([3.0, 0.5], dtype=torch.float64, requires_grad=True)
        torch.probe_atan2(a, b).sum().backward()
    (report,) = check_all(rec.calls)
    assert report.ok, report.notes
    for t in report.targets:
        assert t.matrix_form is not None and t.matrix_form.ok, t


def test_a_removed_rows_rule_is_gone_from_symbolic(log1p_row):
    pytest.importorskip("sympy")
    from symbolic.matrix_table import rule_for
    from symbolic.rules import RULES

    assert rule_for(KEY) is not None
    unregister(KEY)
    try:
        assert KEY not in RULES and rule_for(KEY) is None
    finally:
        OPS[KEY] = log1p_row  # the fixture removes it


def test_every_row_is_registered_on_import_engine_alone():
    """The op table after ``import engine`` equals the table after importing every engine
    module (nn, optim, autograd, ...): no row waits for a module the user may never import."""
    code = ("import importlib, pkgutil, engine\n"
            "from engine.ops import OPS\n"
            "before = set(OPS)\n"
            "for m in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
            "    importlib.import_module(m.name)\n"
            "print(sorted(set(OPS) - before))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    assert out.stdout.strip() == "[]"
