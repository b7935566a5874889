"""The window wired as ``desktop.app.main`` wires it (controller, then debugger): F5 runs plainly
through the controller without breakpoints and debugs with one; after a debugged run a plain
run still feeds the symbolic check; the layout hook survives the debugger's layout cache."""

from __future__ import annotations

import pytest
from integration_helpers import SEED
from PySide6.QtCore import Qt

from desktop.app import wire
from desktop.ui.main_window import MainWindow

K = Qt.Key


@pytest.fixture
def win(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))  # autosaves go here
    w = MainWindow(settings=settings)
    qtbot.addWidget(w, before_close_func=lambda w: w.editor.document().setModified(False))
    wire(w)
    w.resize(1300, 850)
    with qtbot.waitExposed(w):
        w.show()
    w.editor.setPlainText(SEED)
    yield w
    w.controller.shutdown()
    w.debugger.bridge.shutdown()


def test_f5_plain_run_then_debug_then_plain_run_and_check(win, qtbot):
    c, dbg = win.controller, win.debugger
    assert win.graph_view.layout_fn.layout_fn.__module__ == "desktop.layout"  # cached grandalf
    with qtbot.waitSignal(c.run_finished, timeout=20000):
        qtbot.keyClick(win.windowHandle(), K.Key_F5)
    assert {n.op for n in win.graph_view.snapshot.nodes} >= {"MmBackward0", "AccumulateGrad"}

    win.editor.set_breakpoints({6})
    with qtbot.waitSignal(dbg.bridge.paused, timeout=10000) as blocker:
        qtbot.keyClick(win.windowHandle(), K.Key_F5)
    assert blocker.args[0].line == 6 and not c.running  # the debugger, not the controller
    with qtbot.waitSignal(dbg.bridge.finished, timeout=10000):
        qtbot.keyClick(win.windowHandle(), K.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    assert not win.symbolic.compute.isEnabled()  # the check reads plain runs only
    assert not c.compute_symbolic()  # nor does the menu check the older plain run's calls

    win.editor.set_breakpoints(())
    with qtbot.waitSignal(c.run_finished, timeout=20000) as blocker:
        qtbot.keyClick(win.windowHandle(), K.Key_F5, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args[0].status == "finished"
    with qtbot.waitSignal(c.symbolic_finished, timeout=60000) as blocker:
        win.symbolic.compute.click()
    assert all(r.ok for r in blocker.args[0])


def test_a_debug_session_marks_the_shown_check_as_the_last_runs(win, qtbot):
    c, dbg = win.controller, win.debugger
    with qtbot.waitSignal(c.run_finished, timeout=20000):
        qtbot.keyClick(win.windowHandle(), K.Key_F5)
    with qtbot.waitSignal(c.symbolic_finished, timeout=60000):
        win.symbolic.compute.click()
    assert "before this debug session" not in win.symbolic.state.text()
    win.editor.set_breakpoints({6})
    with qtbot.waitSignal(dbg.bridge.paused, timeout=10000):
        qtbot.keyClick(win.windowHandle(), K.Key_F5)
    view = win.symbolic
    assert view.state.text().startswith("<i>From the last Run, before this debug session:</i>")
    assert "checked" in view.state.text() and view.call_box.count() == 1  # still readable
    assert "Ctrl+F5" in view.notes.text()
    dbg.bridge.stop()


def test_the_loss_landscape_follows_debugger_steps(win, qtbot):
    c, dbg = win.controller, win.debugger
    dialog = c.open_builder(exec_dialog=False)
    qtbot.addWidget(dialog)
    dialog.steps.setValue(3)
    dialog.insert_button.click()
    code = win.source()
    step_line = next(i for i, t in enumerate(code.splitlines(), 1) if "optimizer.step()" in t)
    win.editor.set_breakpoints({step_line})
    points = []
    for _ in range(3):  # pause before each optimizer step
        with qtbot.waitSignal(dbg.bridge.paused, timeout=20000) as blocker:
            qtbot.keyClick(win.windowHandle(), K.Key_F5)
        state = blocker.args[0]
        values = {t.name: t.value for t in state.tensors}
        points.append(c.landscape.landscape.point)
        assert points[-1] == pytest.approx((values["w"].item(), values["b"].item()))
    assert len(set(points)) == 3  # the point moved at every step
    assert c.landscape.trail[-3:] == points
    dbg.bridge.stop()


def test_every_shortcut_of_the_wired_app_is_in_its_tooltip(win):
    from PySide6.QtGui import QAction, QKeySequence

    with_keys = [a for a in win.findChildren(QAction) if not a.shortcut().isEmpty()]
    assert len(with_keys) >= 25  # file, edit, run, debug, view, tools, help
    native = QKeySequence.SequenceFormat.NativeText
    missing = [(a.text(), a.shortcut().toString(native)) for a in with_keys
               if a.shortcut().toString(native) not in a.toolTip()]
    assert missing == []  # (menus show an action's shortcut by themselves)
