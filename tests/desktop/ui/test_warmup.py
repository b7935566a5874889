"""The start-up warm-up (``desktop.ui.warmup``) does the first Run's one-off work while the
window is idle, without running user code, changing what the window shows or blocking: its
imports are Qt-free and go to a thread, its GUI steps are short and come one per timer tick."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pyqtgraph as pg
import pytest
from integration_helpers import app_fixture, run_source

from desktop.ui import warmup
from desktop.ui.plots import PlotsPanel


@pytest.fixture
def app(qtbot, settings, tmp_path, monkeypatch):
    yield from app_fixture(qtbot, settings, tmp_path, monkeypatch)


def test_the_imports_exist_and_make_no_qt_application(tmp_path):
    # import_all swallows a failing import (the Run reports it where the module is used): a
    # misspelt name would silently warm nothing, so each must import on its own here
    code = textwrap.dedent("""
        import importlib, sys
        from desktop.ui.warmup import IMPORTS
        for name in IMPORTS:
            importlib.import_module(name)
        from PySide6.QtCore import QCoreApplication
        print("app:", QCoreApplication.instance())
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "app: None" in out.stdout


def test_warm_up_leaves_the_window_as_it_was_and_runs_nothing(app, qtbot):
    window, controller = app
    text = "x = 1  # the user's own code: the warm-up must not run it\n"
    window.editor.setPlainText(text)
    ran = []
    controller.run_finished.connect(ran.append)
    warm = warmup.WarmUp(window)
    assert warm.steps  # the loss plot's steps at least
    warm.start()
    qtbot.waitUntil(lambda: warm.done, timeout=30000)
    assert not warm.timer.isActive()
    assert ran == [] and controller.run is None and controller.state.result is None
    assert window.editor.toPlainText() == text
    loss = window.plots.loss
    assert loss.currentWidget() is loss.label and not loss.built  # the placeholder stays
    assert loss.prepare() is not None  # built, behind it


def test_a_run_after_the_warm_up_draws_what_a_cold_window_draws(app, qtbot):
    window, controller = app
    warm = warmup.WarmUp(window)
    warm.start()
    qtbot.waitUntil(lambda: warm.done, timeout=30000)
    run_source(qtbot, window, controller, "import torch\nw = torch.ones(2, requires_grad=True)\n"
               "loss = (w * 3).sum()\nloss.backward()\n")
    plots = window.plots
    assert plots.loss.built and plots.loss.currentWidget() is plots.loss.plot()
    xs, ys = plots.loss_curve.getData()
    assert list(xs) == [1] and list(ys) == [6.0]
    item = plots.loss.plot().getPlotItem()
    assert item.titleLabel.text == "1 backward() call"
    assert [i.textItem.toPlainText() for i in item.items if isinstance(i, pg.TextItem)] == ["6"]
    assert item.listDataItems() == [plots.loss_curve]  # the warm-up's points are gone


def test_warm_up_steps_do_nothing_once_a_run_has_shown_the_plot(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    steps = panel.warm_up_steps()
    steps[0]()  # the widget, built hidden
    panel.set_backward_values([3.0, 2.0])  # a run comes in between two steps
    for step in steps[1:]:
        step()
    assert list(panel.loss_curve.getData()[1]) == [3.0, 2.0]
    assert panel.loss.plot().getPlotItem().titleLabel.text == "2 backward() calls"


def test_warmed_and_cold_loss_plots_agree_on_one_point(qtbot):
    cold, warm = PlotsPanel(), PlotsPanel()
    for panel in (cold, warm):
        qtbot.addWidget(panel)
        panel.resize(500, 300)
    for step in warm.warm_up_steps():
        step()
    for panel in (cold, warm):
        panel.set_backward_values([13.5])
    views = [p.loss.plot().getViewBox().viewRange() for p in (cold, warm)]
    assert views[0] == views[1]
    labels = [[i.textItem.toPlainText() for i in p.loss.plot().getPlotItem().items
               if isinstance(i, pg.TextItem)] for p in (cold, warm)]
    assert labels == [["13.5"], ["13.5"]]


def test_a_failing_step_is_skipped_and_the_rest_still_run(qtbot, qapp):
    from PySide6.QtWidgets import QWidget

    host = QWidget()
    qtbot.addWidget(host)
    done = []

    def bad():
        raise RuntimeError("a step that fails")

    warm = warmup.WarmUp(host, steps=[bad, lambda: done.append(1)], imports=())
    warm.start()
    qtbot.waitUntil(lambda: warm.done, timeout=5000)
    assert done == [1]
