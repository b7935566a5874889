"""The Symbolic panel's matrix forms: the last backward() is checked by itself after a small
run, its chain of equations is shown as rendered math inside the dock (scrolled, never widening
the window), and the badge never counts what was not derived as agreeing."""

from __future__ import annotations

import dataclasses

import pytest
from integration_helpers import SEED, app_fixture, run_source

from desktop.symbolic_auto import small_enough
from desktop.ui.symbolic_view import BAD_MARK, OK_MARK

MLP = """\
import torch
torch.manual_seed(0)
X, Y = torch.randn(16, 4), torch.randn(16, 1)
W1 = torch.randn(8, 4, requires_grad=True)
b1 = torch.zeros(8, requires_grad=True)
W2 = torch.randn(1, 8, requires_grad=True)
b2 = torch.zeros(1, requires_grad=True)
Z = X @ W1.T + b1
H = torch.tanh(Z)
Y_hat = H @ W2.T + b2
L = ((Y_hat - Y)**2).mean()
L.backward()
"""


@pytest.fixture
def app(qtbot, settings, tmp_path, monkeypatch):
    yield from app_fixture(qtbot, settings, tmp_path, monkeypatch)


def test_a_small_run_is_checked_by_itself_and_shows_its_chain(app, qtbot):
    window, controller = app
    with qtbot.waitSignal(controller.symbolic_finished, timeout=60000) as blocker:
        run_source(qtbot, window, controller, MLP)
    (report,) = blocker.args[0]  # only the last backward(), nobody pressed Compute
    assert report.ok and all(t.matrix_form.ok for t in report.targets)
    view = window.symbolic
    # the automatic check has two seconds of sympy: on a loaded machine some scalar forms may
    # be left underived, and then the badge must not say "all agree"
    assert OK_MARK in view.badge.text()
    assert ("all agree" in view.badge.text()) == (report.complete
                                                  and report.independent.checked)
    assert view.select_target("W1")
    plain = [p for _latex, p in view.equations]
    assert plain[:4] == ["∂L/∂Y_hat = 2/16·(Y_hat − Y)", "∂L/∂H = ∂L/∂Y_hat·W2",
                         "∂L/∂Z = ∂L/∂H ⊙ (1 − H²)", "∂L/∂W1 = (∂L/∂Z)ᵀ·X"]
    assert plain[4] == "= the engine's grad at all 32 elements"
    labels = [view.chain_layout.itemAt(k).widget() for k in range(4)]
    assert all(label.rendered for label in labels)  # drawn as math, not as text


def test_the_automatic_check_starts_once_the_runs_graph_is_drawn(app, qtbot, monkeypatch):
    window, controller = app
    analysis, gv = controller.analysis, window.graph_view
    real, laying_out = analysis.compute_symbolic, []

    def compute(*args, **kwargs):
        laying_out.append(gv.laying_out)
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis, "compute_symbolic", compute)
    with qtbot.waitSignal(controller.symbolic_finished, timeout=60000):
        run_source(qtbot, window, controller, MLP)
    # not while the layout's thread runs: the two would share the interpreter
    assert laying_out == [False] and gv.node_items


def test_a_quick_second_run_drops_the_first_runs_automatic_check(app, qtbot, monkeypatch):
    window, controller = app
    analysis = controller.analysis
    real, checked_runs = analysis.compute_symbolic, []

    def compute(*args, **kwargs):
        checked_runs.append(controller.state.runs)
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis, "compute_symbolic", compute)
    run_source(qtbot, window, controller, MLP)
    with qtbot.waitSignal(controller.symbolic_finished, timeout=60000) as blocker:
        run_source(qtbot, window, controller, MLP)  # before the first run's check began
    assert checked_runs == [2]  # the first run's check would only have slowed the second
    assert len(blocker.args[0]) == 1


def test_long_equations_scroll_inside_the_dock(app, qtbot):
    window, controller = app
    view = window.symbolic
    before = view.minimumSizeHint().width()
    long = r" + ".join(rf"\frac{{\partial L}}{{\partial W_{{{k}}}}}" for k in range(60))
    view.set_equations([(long, "a very long equation")])
    qtbot.wait(10)
    assert view.chain_layout.itemAt(0).widget().sizeHint().width() > 1500
    assert view.minimumSizeHint().width() <= max(before, 400)


def test_a_large_graph_waits_for_compute(app, qtbot):
    window, controller = app
    run_source(qtbot, window, controller, SEED)
    call = controller.state.symbolic_calls[-1]
    assert small_enough(call)
    big = dataclasses.replace(call, graph=dataclasses.replace(call.graph, nodes=[
        call.graph.nodes[0]] * 400))
    assert not small_enough(big)


def test_elements_without_a_closed_form_are_not_counted_as_agreeing(app, qtbot):
    window, controller = app
    with qtbot.waitSignal(controller.symbolic_finished, timeout=60000) as blocker:
        run_source(qtbot, window, controller, SEED)
    (report,) = blocker.args[0]
    t = report.targets[0]
    underived = dataclasses.replace(t.elements[0], symbolic=None, closed_form="")
    t = dataclasses.replace(t, elements=(underived, *t.elements[1:]))
    view = window.symbolic
    view.show_reports([dataclasses.replace(report, targets=(t, *report.targets[1:]))])
    assert "no disagreement; 1 not derived (no closed form)" in view.badge.text()
    assert "all agree" not in view.badge.text()


MOD = """\
import torch
x = torch.tensor([0.25, 0.75], requires_grad=True)
loss = (x * 1.0 + x % 1.0).sum()
loss.backward()
"""


def test_the_check_re_runs_the_script_independently_of_the_recorded_graph(app, qtbot):
    window, controller = app
    with qtbot.waitSignal(controller.symbolic_finished, timeout=60000) as blocker:
        run_source(qtbot, window, controller, MOD)
    (report,) = blocker.args[0]
    assert report.independent is not None and report.independent.status == "agree", \
        report.independent
    assert "independent check (agrees): script re-run with x moved" in \
        window.symbolic.notes.text()


def test_an_op_recorded_wrongly_is_caught_by_the_apps_re_run(app, qtbot, monkeypatch):
    import numpy as np

    import engine
    from desktop import check_process

    monkeypatch.setattr(check_process, "OUT_OF_PROCESS", False)  # the patch is in this process
    # the result is right but carries no graph: the recorded graph (and any replay of it)
    # says dL/dx = 1 where the script's L moves at 2 per unit of x
    monkeypatch.setattr(engine.Tensor, "__mod__",
                        lambda self, other: engine.tensor(np.mod(self.detach().numpy(), other)))
    window, controller = app
    with qtbot.waitSignal(controller.symbolic_finished, timeout=60000) as blocker:
        run_source(qtbot, window, controller, MOD)
    (report,) = blocker.args[0]
    assert report.independent.status == "disagree" and not report.ok
    view = window.symbolic
    assert BAD_MARK in view.badge.text() and "1 disagree" in view.badge.text()
    assert "independent check (DISAGREES)" in view.notes.text()


def test_a_call_that_was_not_re_run_is_named_in_the_badge(app, qtbot):
    from symbolic.report import IndependentCheck

    window, controller = app
    with qtbot.waitSignal(controller.symbolic_finished, timeout=60000) as blocker:
        run_source(qtbot, window, controller, SEED)
    (report,) = blocker.args[0]
    view = window.symbolic
    view.show_reports([dataclasses.replace(report, independent=IndependentCheck(
        "unavailable", "the script was not re-run: time limit"))])
    assert "1 call not re-run" in view.badge.text() and "all agree" not in view.badge.text()


def test_the_equations_the_panel_opens_on_are_laid_out_off_the_gui_thread(app, qtbot,
                                                                          monkeypatch):
    # ziamath takes 10-40 ms a formula: the check's worker lays out the ones shown first
    import threading

    import ziamath

    from desktop.ui import math_view

    window, controller = app
    math_view.latex_svg.cache_clear()
    on_gui: dict[str, set] = {}
    real = ziamath.Latex

    def latex(tex, *args, **kwargs):
        on_gui.setdefault(tex, set()).add(threading.current_thread() is threading.main_thread())
        return real(tex, *args, **kwargs)

    monkeypatch.setattr(ziamath, "Latex", latex)
    with qtbot.waitSignal(controller.symbolic_finished, timeout=60000):
        run_source(qtbot, window, controller, MLP)
    shown = [tex for tex, _plain in window.symbolic.equations if tex]
    assert len(shown) >= 4
    assert all(on_gui.get(tex) == {False} for tex in shown), on_gui
    labels = [window.symbolic.chain_layout.itemAt(k).widget() for k in range(len(shown))]
    assert all(label.rendered for label in labels)  # drawn as math from the worker's layout
