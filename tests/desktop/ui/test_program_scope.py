"""Nothing of one program survives into the next: after New, Open, a lesson switch and Run,
every panel (graph, Find text, inspector and watches, timeline, Backward step panel, Step
back/forward, the paused line, output, status) shows the new program or nothing; a user's
Stop is shown as stopped, not as an error."""

from __future__ import annotations

import pytest
from integration_helpers import SEED
from PySide6.QtCore import Qt

from desktop import lessons
from desktop.app import wire
from desktop.ui.backward_step_panel import IDLE_TEXT
from desktop.ui.main_window import MainWindow

K = Qt.Key
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


def _debug_into_backward(win, qtbot):
    """Leave a lot of debugger state behind: paused inside loss.backward(), one node run,
    a watch, a Find text, a past stop viewed."""
    dbg = win.debugger
    win.editor.setPlainText(SEED)
    line = next(i for i, t in enumerate(SEED.splitlines(), 1) if "backward()" in t)
    win.editor.set_breakpoints({line})
    win.inspector.add_watch("w")
    with qtbot.waitSignal(dbg.bridge.paused, timeout=20000):
        dbg.run_or_continue()
    for _ in range(2):
        with qtbot.waitSignal(dbg.bridge.paused, timeout=20000):
            dbg.controls.actions_by_key["step_into"].trigger()
    assert dbg.state.kind == "backward"
    win.graph_view.find_field.setText("loss")
    win.graph_view.find_node("loss")
    dbg.controls.actions_by_key["step_back"].trigger()
    qtbot.waitUntil(lambda: dbg.controls.actions_by_key["step_forward"].isEnabled())
    assert "tensor" in win.inspector.watch_values()["w"]
    assert win.editor.current_line is not None


def _assert_pristine(win):
    dbg = win.debugger
    acts = dbg.controls.actions_by_key
    assert win.graph_view.snapshot.nodes == ()
    assert win.graph_view.find_field.text() == ""
    assert win.inspector.tensors == ()
    assert set(win.inspector.watch_values().values()) <= {"(run to evaluate)"}
    assert dbg.timeline.label.text() == "no recorded stops"
    assert not dbg.timeline.slider.isEnabled()
    assert dbg.panel.text().strip() == IDLE_TEXT
    assert not acts["step_back"].isEnabled() and not acts["step_forward"].isEnabled()
    assert len(dbg.bridge.history) == 0 and dbg.bridge.status == "idle"
    assert win.editor.current_line is None
    assert win.output.text.toPlainText() == ""
    assert win.output.error_box.isHidden()
    assert "Paused" not in win.run_label.text() and "debugger" not in win.run_label.text()
    assert not win.symbolic.compute.isEnabled()


def test_new_forgets_a_paused_debug_session(win, qtbot):
    _debug_into_backward(win, qtbot)
    win.editor.document().setModified(False)
    win.act_new.trigger()
    _assert_pristine(win)
    assert win.inspector.watches == ["w"]  # the user's watches stay, their values do not
    qtbot.wait(200)  # the abandoned run reports nothing later
    _assert_pristine(win)


def test_open_forgets_the_previous_program(win, qtbot, tmp_path):
    _debug_into_backward(win, qtbot)
    path = tmp_path / "other.py"
    path.write_text("print('other')\n")
    win.editor.document().setModified(False)
    assert win.open_file(str(path))
    _assert_pristine(win)
    assert win.source() == "print('other')\n"


def test_lesson_switch_forgets_the_previous_program(win, qtbot):
    _debug_into_backward(win, qtbot)
    win.editor.document().setModified(False)
    lesson = lessons.all_lessons()[0]
    assert win.controller.open_lesson(lesson.code, lesson.id)
    _assert_pristine(win)
    # a plain run of the lesson then shows that lesson's graph, and the debugger stays idle
    with qtbot.waitSignal(win.controller.run_finished, timeout=20000):
        win.act_run.trigger()
    assert win.graph_view.snapshot.nodes
    assert len(win.debugger.bridge.history) == 0
    assert win.debugger.panel.text().strip() == IDLE_TEXT


def test_run_drops_the_stale_debugger_history(win, qtbot):
    _debug_into_backward(win, qtbot)
    with qtbot.waitSignal(win.debugger.bridge.finished, timeout=20000):
        win.debugger.stop()
    win.editor.set_breakpoints(())
    with qtbot.waitSignal(win.controller.run_finished, timeout=20000) as blocker:
        win.act_run.trigger()
    assert blocker.args[0].status == "finished"
    dbg = win.debugger
    assert len(dbg.bridge.history) == 0
    assert dbg.timeline.label.text() == "no recorded stops"
    assert not dbg.controls.actions_by_key["step_back"].isEnabled()
    assert dbg.panel.text().strip() == IDLE_TEXT
    assert "finished" in win.run_label.text()
    assert "tensor" in win.inspector.watch_values()["w"]  # from the plain run's namespace


def test_a_users_stop_is_shown_as_stopped_not_as_an_error(win, qtbot):
    win.editor.setPlainText(LOOP)
    c = win.controller
    win.act_run.trigger()
    qtbot.waitUntil(lambda: c.running)
    qtbot.wait(100)
    with qtbot.waitSignal(c.run_finished, timeout=20000) as blocker:
        win.debugger.stop()
    result = blocker.args[0]
    assert result.status == "stopped"
    assert win.output.error_box.isHidden()
    assert win.editor.error_line is None
    assert "[stopped at line" in win.output.text.toPlainText()
    assert win.run_label.text().startswith("stopped at line")


def test_a_debugged_stop_is_not_an_error_either(win, qtbot):
    win.editor.setPlainText(LOOP)
    win.editor.set_breakpoints({4})
    dbg = win.debugger
    with qtbot.waitSignal(dbg.bridge.paused, timeout=20000):
        dbg.run_or_continue()
    with qtbot.waitSignal(dbg.bridge.finished, timeout=20000):
        dbg.stop()
    assert win.output.error_box.isHidden()
    assert win.editor.error_line is None
    assert win.run_label.text() == "debugger: stopped"
    assert "Paused before" not in dbg.panel.text()


def test_opening_a_lesson_while_a_script_runs_stops_it_and_drops_its_result(win, qtbot):
    c = win.controller
    win.editor.setPlainText(LOOP)
    win.act_run.trigger()
    qtbot.waitUntil(lambda: c.running)
    win.editor.document().setModified(False)
    lesson = lessons.all_lessons()[0]
    shown = []
    c.run_finished.connect(shown.append)
    assert c.open_lesson(lesson.code, lesson.id)
    assert not c.running and not win.running and win.act_run.isEnabled()
    qtbot.wait(300)
    assert shown == []  # the loop's result was dropped
    _assert_pristine(win)
