"""The Symbolic panel through the controller: the run records, Compute checks in a worker,
agreement for the seed model, a disagreement for a wrong custom backward, Cancel; and the
f, f', f'' plot from the engine with sympy's closed forms overlaid."""

from __future__ import annotations

import time

import numpy as np
import pytest
from integration_helpers import SEED, app_fixture, run_source
from shared_scripts import WRONG_RELU

from desktop.ui.symbolic_view import BAD_MARK, OK_MARK


@pytest.fixture
def app(qtbot, settings, tmp_path, monkeypatch):
    yield from app_fixture(qtbot, settings, tmp_path, monkeypatch)


def _check_in_this_process(monkeypatch):
    """The checker patched below lives in this process: the check must run here to see it."""
    from desktop import check_process

    monkeypatch.setattr(check_process, "OUT_OF_PROCESS", False)


def _check(qtbot, window, controller, timeout=60000):
    with qtbot.waitSignal(controller.symbolic_finished, timeout=timeout) as blocker:
        window.symbolic.compute.click()
    return blocker.args[0]


def test_seed_model_agrees_three_ways(app, qtbot):
    window, controller = app
    run_source(qtbot, window, controller, SEED)
    reports = _check(qtbot, window, controller)
    view = window.symbolic
    assert len(reports) == 1 and reports[0].ok
    assert view.all_agree and OK_MARK in view.badge.text()
    window.inspector.select("w")  # the inspector's selection picks the leaf
    assert view.current_target() == "w"
    rows = view.row_texts()
    assert [r[0] for r in rows] == ["w[0, 0]", "w[0, 1]"]
    grads = {t.name: t.grad for t in window.inspector.tensors}
    for r, expected in zip(rows, grads["w"].reshape(-1), strict=True):
        symbolic, engine_value, finite = (float(r[k]) for k in (2, 3, 4))
        assert engine_value == pytest.approx(expected, rel=1e-5)
        assert symbolic == pytest.approx(expected, rel=1e-4)
        assert finite == pytest.approx(expected, rel=1e-4)
        assert r[5] == OK_MARK
    assert view.select_target("b")
    assert [r[0] for r in view.row_texts()] == ["b[0, 0]"]
    assert view.formula.rendered  # the closed form drawn as math (ziamath), not as text


def test_elements_nobody_could_check_are_not_counted_as_agreeing(app, qtbot):
    import dataclasses

    window, controller = app
    run_source(qtbot, window, controller, SEED)
    (report,) = _check(qtbot, window, controller)
    w_target = report.targets[0]
    first = dataclasses.replace(w_target.elements[0], closed_form="", symbolic=None,
                                finite=None, checked=False)
    w_target = dataclasses.replace(w_target, elements=(first, *w_target.elements[1:]))
    report = dataclasses.replace(report, targets=(w_target, *report.targets[1:]))
    view = window.symbolic
    view.show_reports([report])
    assert "no disagreement; 1 not checked" in view.badge.text()
    assert "all agree" not in view.badge.text()
    assert view.select_target(w_target.name)
    assert [r[5] for r in view.row_texts()] == ["–", OK_MARK]


def test_wrong_custom_backward_disagrees(app, qtbot):
    window, controller = app
    run_source(qtbot, window, controller, WRONG_RELU)
    reports = _check(qtbot, window, controller)
    view = window.symbolic
    assert not reports[0].ok
    assert view.all_agree is False and BAD_MARK in view.badge.text()
    assert view.current_target() == "x"  # the first failing group: x.grad itself
    rows = {r[0]: r for r in view.row_texts()}
    # the user's backward gives 2 where x > 0; the derivative of clamp(min=0) is 1 there
    assert [k for k, r in rows.items() if r[5] == BAD_MARK] == ["x[1]", "x[2]"]
    assert rows["x[0]"][5] == OK_MARK and float(rows["x[0]"][3]) == 0.0
    for k in ("x[1]", "x[2]"):
        assert float(rows[k][3]) == pytest.approx(2.0)  # engine (the user's backward)
        assert float(rows[k][2]) == pytest.approx(1.0)  # closed form
        assert float(rows[k][4]) == pytest.approx(1.0)  # finite difference
    assert view.select_target("custom MyReLU.backward")
    assert sum(r[5] == BAD_MARK for r in view.row_texts()) == 2


def test_a_training_loop_checks_the_calls_it_recorded(app, qtbot):
    window, controller = app
    from desktop import lessons

    run_source(qtbot, window, controller, lessons.get("linear-sgd").code)
    assert len(controller.state.result.backward_values) == 60
    assert len(controller.state.symbolic_calls) == 5  # the recorder keeps the first 5 of 60
    reports = _check(qtbot, window, controller)
    assert [r.title.split(":")[0] for r in reports] == [f"call {i}" for i in range(1, 6)]
    assert all(r.ok for r in reports)
    assert "first 5 backward()/grad() calls were recorded" in window.symbolic.notes.text()
    assert "55 more were not" in window.symbolic.notes.text()


def test_cancel_returns_at_once(app, qtbot, monkeypatch):
    _check_in_this_process(monkeypatch)
    window, controller = app
    run_source(qtbot, window, controller, SEED)
    import symbolic

    real = symbolic.check_all

    def slow(calls, options=None, cancel=None):
        while not cancel.cancelled:  # stands in for a long sympy simplification
            pass
        return real(calls, options, cancel)

    monkeypatch.setattr(symbolic, "check_all", slow)
    with qtbot.waitSignal(controller.symbolic_finished, timeout=10000) as blocker:
        window.symbolic.compute.click()
        assert window.symbolic.cancel.isEnabled()
        qtbot.wait(100)
        window.symbolic.cancel.click()
    reports = blocker.args[0]
    assert reports[0].cancelled
    assert "cancelled" in window.symbolic.state.text()
    assert window.symbolic.compute.isEnabled()


def test_function_plot_overlays_engine_and_sympy(app, qtbot):
    window, controller = app
    with qtbot.waitSignal(controller.function_plotted, timeout=60000) as blocker:
        controller.plot_function("torch.sin(x) * x**2, -2, 2")
    curves = blocker.args[0]
    xs = curves.xs
    assert xs[0] == -2 and xs[-1] == 2
    np.testing.assert_allclose(curves.f, np.sin(xs) * xs**2, atol=1e-12)
    np.testing.assert_allclose(curves.df, 2 * xs * np.sin(xs) + xs**2 * np.cos(xs), atol=1e-12)
    np.testing.assert_allclose(curves.d2f, (2 - xs**2) * np.sin(xs) + 4 * xs * np.cos(xs),
                               atol=1e-12)
    for key in ("f", "df", "d2f"):
        assert curves.max_gap(key) < 1e-9
    assert "cos" in curves.forms["df"]
    plotted = window.plots.func_curves["d2f"].getData()[1]
    np.testing.assert_allclose(plotted, curves.d2f)
    assert set(controller.closed_curves) == {"f", "df", "d2f"}


def test_function_plot_of_a_script_function(app, qtbot):
    window, controller = app
    run_source(qtbot, window, controller,
               "import torch\ndef f(x):\n    return torch.tanh(x) * 3\n")
    assert controller.analysis.guess_function() == "f"
    with qtbot.waitSignal(controller.function_plotted, timeout=60000) as blocker:
        controller.plot_function("f")
    curves = blocker.args[0]
    np.testing.assert_allclose(curves.df, 3 / np.cosh(curves.xs) ** 2, atol=1e-12)
    assert curves.max_gap("d2f") < 1e-9


def test_the_panels_time_limit_stops_a_derivation_that_never_ends(app, qtbot, monkeypatch):
    _check_in_this_process(monkeypatch)
    window, controller = app
    run_source(qtbot, window, controller, SEED)
    import symbolic.checker

    def never_ends(expr, syms):  # sympy stuck on a huge expression
        while True:
            time.sleep(0.01)

    monkeypatch.setattr(symbolic.checker, "gradient", never_ends)
    window.symbolic.limit.setValue(0.5)  # the panel's Time limit box
    t0 = time.monotonic()
    reports = _check(qtbot, window, controller, timeout=15000)
    assert time.monotonic() - t0 < 8
    assert reports[0].timed_out
    assert "time limit reached" in window.symbolic.state.text()
    # finite differences still answer, and agree with the engine
    assert all(r[4] != "" for r in window.symbolic.row_texts())
    assert window.symbolic.compute.isEnabled()
