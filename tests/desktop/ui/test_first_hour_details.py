"""Small things a learner meets in the first hour: the start and stop buttons, a pristine
window, the grouped shortcut list, a one-point loss plot, a non-leaf's .grad in the node
panel, dialogs starting in the last folder, Insert of generated code twice."""

from __future__ import annotations

import pytest
from conftest import MM, W, linear_graph
from PySide6.QtWidgets import QToolBar

from desktop.app import wire
from desktop.ui.main_window import MainWindow
from desktop.ui.plots import PlotsPanel
from desktop.ui.run_buttons import CONTINUE_TEXT, START_TEXT

LOOP = "import time\nx = 0\nwhile True:\n    x += 1\n    time.sleep(0.001)\n"


@pytest.fixture
def win(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    w = MainWindow(settings=settings)
    qtbot.addWidget(w, before_close_func=lambda w: w.editor.document().setModified(False))
    wire(w)
    w.resize(1300, 850)
    with qtbot.waitExposed(w):
        w.show()
    yield w
    w.controller.shutdown()
    w.debugger.bridge.shutdown()


def _texts(window) -> list[str]:
    return [a.text() for tb in window.findChildren(QToolBar) for a in tb.actions()
            if a.isVisible() and not a.isSeparator()]


def test_one_start_button_reads_run_debug_until_paused_and_one_stop(win, qtbot):
    texts = _texts(win)
    assert texts.count("Stop") + texts.count("&Stop") == 1
    start = win.debugger.run_buttons.start
    stop = win.debugger.run_buttons.stop
    assert start.text() == START_TEXT and start.isEnabled() and not stop.isEnabled()
    win.editor.setPlainText(LOOP)
    start.trigger()  # no breakpoint: a plain run
    qtbot.waitUntil(lambda: win.controller.running)
    assert stop.isEnabled() and not start.isEnabled()
    with qtbot.waitSignal(win.controller.run_finished, timeout=20000) as blocker:
        stop.trigger()
    assert blocker.args[0].status == "stopped"
    assert not stop.isEnabled() and start.isEnabled()
    win.editor.set_breakpoints({4})
    with qtbot.waitSignal(win.debugger.bridge.paused, timeout=20000):
        start.trigger()
    assert start.text() == CONTINUE_TEXT and stop.isEnabled()
    with qtbot.waitSignal(win.debugger.bridge.finished, timeout=20000):
        stop.trigger()
    assert start.text() == START_TEXT and not stop.isEnabled()


def test_a_pristine_window_is_not_marked_modified(win):
    assert not win.isWindowModified()
    win.editor.insertPlainText("x = 1\n")
    assert win.isWindowModified()
    win.editor.document().setModified(False)
    win.new_file(ask=False)
    assert not win.isWindowModified()


def test_shortcuts_are_grouped_by_menu_in_menu_order(win):
    groups = win.shortcut_groups()
    titles = [t for t, _ in groups]
    assert titles[:3] == ["File", "Edit", "Run"]
    assert titles.index("Debug") < titles.index("View")
    debug = dict(dict(groups)["Debug"])
    assert debug["Step over"] == "F10" and debug["Step into"] == "F11"
    every = [name for _, rows in groups for name, _ in rows]
    assert len(every) == len(set(zip(every, [k for _, r in groups for _, k in r],
                                     strict=True)))  # no action listed twice


def test_a_loss_plot_with_one_point_shows_it_on_a_sensible_axis(qtbot):
    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.set_backward_values([13.5])
    plot = panel.loss.plot()
    (y_lo, y_hi) = plot.getViewBox().viewRange()[1]
    assert y_lo <= 0.0 and 13.5 < y_hi <= 13.5 * 2  # the value, with 0 for reference
    xs, ys = panel.loss_curve.getData()
    assert list(ys) == [13.5]
    panel.set_backward_values([])
    assert "no backward() call" in plot.getPlotItem().titleLabel.text


def test_node_panel_says_a_non_leafs_grad_is_none(qtbot):
    from desktop.ui.graph_view import GraphView

    view = GraphView()
    qtbot.addWidget(view)
    view.set_snapshot(linear_graph())
    view.select_node(MM)
    text = view.detail.toPlainText()
    assert ".grad None" in text and "not a leaf" in text
    assert "grad that flowed into this node" in text
    view.select_node(W)
    text = view.detail.toPlainText()
    assert ".grad" in text and "-38.4" in text and "not a leaf" not in text


def test_session_dialogs_start_in_the_folder_last_used(win, tmp_path):
    sub = tmp_path / "work"
    sub.mkdir()
    assert win.controller.save_session(str(sub / "s.stepgrad"))
    assert win.last_dir() == str(sub)


def test_inserting_generated_code_twice_does_not_ask_to_save(win, monkeypatch):
    asked = []

    def guard():
        asked.append(win.source())
        return len(asked) == 1  # fine to discard the first time, "Cancel" afterwards

    monkeypatch.setattr(win, "maybe_save", guard)
    c = win.controller
    assert c.insert_generated_code("print(1)\n")
    assert c.insert_generated_code("print(2)\n")  # the first insert was never touched
    assert asked == [""]
    win.editor.insertPlainText("# mine\n")
    assert not c.insert_generated_code("print(3)\n")  # edited: the guard asks (Cancel)
    assert len(asked) == 2 and "# mine" in win.source()
