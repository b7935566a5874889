"""The debugger wired into the real main window: shortcuts (no clash with Run/Stop), the current
line, graph highlights, the Backward step panel, step back, errors and Stop on an endless loop."""

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QTextCursor
from seed_programs import SEED_LINEAR as SEED
from seed_programs import SEED_TWICE

from desktop.debugger.describe import fmt
from desktop.ui.debug_wiring import attach_debugger
from desktop.ui.graph_items import node_fill, node_lines
from desktop.ui.main_window import MainWindow

K = Qt.Key
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier

FREED = "Trying to backward through the graph a second time"


@pytest.fixture
def win(qtbot, settings):
    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    wiring = attach_debugger(w)
    w.resize(1300, 850)
    with qtbot.waitExposed(w):
        w.show()
    w.editor.setPlainText(SEED)
    w.wiring = wiring
    yield w
    wiring.bridge.shutdown()
    w.editor.document().setModified(False)


def press(qtbot, w, key, modifier=Qt.KeyboardModifier.NoModifier, signal="paused"):
    with qtbot.waitSignal(getattr(w.wiring.bridge, signal), timeout=10000) as blocker:
        qtbot.keyClick(w.windowHandle(), key, modifier)
    return blocker.args[0]


def step_until(qtbot, w, kind, key=K.Key_F10):
    state = w.wiring.state
    for _ in range(40):
        if state.kind == kind:
            return state
        state = press(qtbot, w, key)
    raise AssertionError(f"no {kind} stop")


def to_backward(qtbot, w):
    """F11 to start, F10 to line 8 (loss.backward()), F11 into the backward pass."""
    assert press(qtbot, w, K.Key_F11).line == 1
    state = None
    for _ in range(7):
        state = press(qtbot, w, K.Key_F10)
    assert state.line == 8
    return press(qtbot, w, K.Key_F11)


def cursor_to(w, line):
    cur = w.editor.textCursor()
    cur.movePosition(QTextCursor.MoveOperation.Start)
    cur.movePosition(QTextCursor.MoveOperation.Down, n=line - 1)
    w.editor.setTextCursor(cur)


def test_no_two_enabled_actions_share_a_shortcut(win):
    seen = {}
    for act in win.findChildren(QAction):
        for seq in act.shortcuts():
            key = seq.toString()
            if key and act.isEnabled():
                assert key not in seen, f"{key}: {seen[key]} and {act.text()}"
                seen[key] = act.text()
    assert seen["F5"] == "Run / &Continue" and seen["Shift+F5"] == "&Stop"
    assert win.act_run.shortcut().toString() == "Ctrl+F5"
    acts = win.wiring.controls.actions_by_key
    assert {k: acts[k].shortcut().toString() for k in ("step_over", "step_into", "step_out",
                                                       "run_to_cursor")} == {
        "step_over": "F10", "step_into": "F11", "step_out": "Shift+F11",
        "run_to_cursor": "Ctrl+F10"}
    assert "(F5)" in acts["continue"].toolTip()


def test_f5_runs_plainly_without_breakpoints_and_debugs_with_one(qtbot, win):
    runs = []
    win.run_requested.connect(runs.append)
    qtbot.keyClick(win.windowHandle(), K.Key_F5)
    assert runs == [SEED] and win.wiring.bridge.status == "idle"
    win.set_running(False)  # no runner answers in this test
    qtbot.keyClick(win.windowHandle(), K.Key_F5, CTRL)
    assert len(runs) == 2
    win.set_running(False)
    cursor_to(win, 7)
    qtbot.keyClick(win.windowHandle(), K.Key_F9)
    assert win.breakpoints == {7} and win.wiring.bridge.session.breakpoints == {7: None}
    state = press(qtbot, win, K.Key_F5)
    assert state.line == 7 and win.editor.current_line == 7 and len(runs) == 2
    qtbot.keyClick(win.windowHandle(), K.Key_F5, CTRL)  # no plain run while debugging
    assert len(runs) == 2 and not win.act_run.isEnabled()
    result = press(qtbot, win, K.Key_F5, SHIFT, signal="finished")
    assert result.status == "stopped" and win.act_run.isEnabled()


def test_forward_steps_move_the_line_and_highlight_the_new_nodes(qtbot, win):
    state = press(qtbot, win, K.Key_F11)
    assert state.line == 1 and win.editor.current_line == 1
    assert win.wiring.controls.actions_by_key["step_out"].isEnabled()
    for line in range(2, 8):
        state = press(qtbot, win, K.Key_F10)
        assert state.line == line and win.editor.current_line == line
    # line 6 (Y_hat = X @ w.t() + b) built the transpose, the matmul and the add
    assert state.from_line == 6
    assert sorted(op for _, op in state.new_nodes) == ["AddBackward0", "MmBackward0",
                                                      "TBackward0"]
    gv = win.graph_view
    lit = {i for i, item in gv.node_items.items() if item.highlighted}
    assert lit == {i for i, _ in state.new_nodes} == set(gv.snapshot.highlight)
    assert "Y_hat" in [t.name for t in win.inspector.tensors]
    cursor_to(win, 9)
    state = press(qtbot, win, K.Key_F10, CTRL)  # run to cursor: line 8 runs backward freely
    assert state.line == 9
    rows = {r[0]: r for r in win.inspector.row_texts()}
    assert rows["w"][6] != "None" and rows["b"][6] != "None"


def test_step_into_backward_shows_each_node_and_its_grads(qtbot, win):
    win.inspector.add_watch("b.grad")
    first = to_backward(qtbot, win)
    b = first.backward
    assert (first.kind, b.op, b.label, first.line) == ("backward", "MeanBackward0", "loss", 8)
    assert win.editor.current_line == 8
    np.testing.assert_allclose(b.grads_in[0], 1.0)
    np.testing.assert_allclose(b.flows[0].grad, np.full((10, 1), 0.1), rtol=1e-6)
    gv = win.graph_view
    assert {i for i, it in gv.node_items.items() if it.highlighted} == {b.node}
    assert gv.node_items[b.node].node.op == "MeanBackward0"
    panel = win.wiring.panel
    assert not win.wiring.panel_dock.visibleRegion().isEmpty()
    text = panel.text()
    assert "MeanBackward0 (loss)" in text and "→ PowBackward0" in text
    assert "[10, 1] all 0.1" in text
    qtbot.waitUntil(lambda: panel.derivative() is not None, timeout=20000)
    assert panel.derivative().source == "sympy"
    assert "∂out/∂a[i]1/10" in "".join(panel.text().split())
    assert win.inspector.watch_values()["b.grad"] == "None"

    state = press(qtbot, win, K.Key_F10)
    assert state.backward.op == "PowBackward0"
    qtbot.waitUntil(lambda: panel.derivative() is not None, timeout=20000)
    text = "".join(panel.text().split())
    assert "out a**2" in panel.text().replace("\n", " ") and "∂out/∂a2*a" in text
    assert "SavedtensorsfreedPowBackward0" in text

    # on to AccumulateGrad (b): b.grad goes from None to the summed grad
    while state.backward.op != "AccumulateGrad":
        state = press(qtbot, win, K.Key_F10)
    t = {x.name: x.value for x in state.tensors}
    d = 2 * (t["X"] @ t["w"].T + t["b"] - t["Y"]) / 10
    (acc,) = state.backward.accumulations
    np.testing.assert_allclose(acc.total, d.sum(0, keepdims=True), rtol=1e-5)
    assert "".join(f"b.grad {fmt(None)} -> {fmt(acc.total)}".split()) in \
        "".join(panel.text().split())
    assert win.inspector.watch_values()["b.grad"].startswith("tensor(")


def test_stepping_to_the_end_shows_freed_nodes_and_step_back_restores_the_graph(qtbot, win):
    first = to_backward(qtbot, win)
    end = step_until(qtbot, win, "backward_end")
    gv = win.graph_view
    freed = sorted(it.node.op for it in gv.node_items.values() if it.node.freed)
    assert freed == ["MmBackward0", "PowBackward0"]
    # drawn in the freed style: greyed fill and a "(freed)" caption, the others not
    for it in gv.node_items.values():
        freed_look = node_fill(gv.theme, it.node) == gv.theme.node_freed
        assert freed_look == it.node.freed == any("(freed)" in t for t in node_lines(it.node))
    text = win.wiring.panel.text()
    assert "Freed nodes" in text and "MmBackward0" in text and "PowBackward0" in text
    assert "Y_hat" in text and "loss" in text  # discarded non-leaf grads
    assert set(end.backward.discarded) == {"Y_hat", "loss"}
    # Step back (Alt+Left) until the first backward node: nothing is freed there yet
    h = win.wiring.bridge.history
    pos = h.position
    state = press(qtbot, win, K.Key_Left, ALT, signal="viewed")
    assert h.position == pos - 1 and gv.snapshot is state.graph
    while state is not first:
        state = press(qtbot, win, K.Key_Left, ALT, signal="viewed")
    assert gv.snapshot is first.graph
    assert not any(it.node.freed for it in gv.node_items.values())
    assert {i for i, it in gv.node_items.items() if it.highlighted} == {first.backward.node}
    assert "MeanBackward0 (loss)" in win.wiring.panel.text()
    assert "past state" in win.run_label.text()
    assert win.wiring.timeline.slider.value() == h.position


def test_second_backward_error_is_shown_at_its_line_and_the_session_goes_on(qtbot, win):
    win.editor.setPlainText(SEED_TWICE)
    press(qtbot, win, K.Key_F11)
    win.docks["plots"].raise_()  # the Output tab is hidden behind another
    state = press(qtbot, win, K.Key_F5)
    assert state.kind == "error" and state.line == 10
    assert win.editor.error_line == 10 and FREED in win.editor.error_message
    assert win.editor.error_message.startswith("RuntimeError: ")
    assert FREED in win.wiring.panel.text()
    # the message is on screen, not only in a hidden tab
    assert not win.output.error_box.visibleRegion().isEmpty()
    assert FREED in win.output.error_title.text()
    result = press(qtbot, win, K.Key_F5, signal="finished")
    assert result.status == "error" and win.wiring.bridge.status == "finished"
    assert not win.symbolic.compute.isEnabled()  # it would check the last plain run instead
    assert win.editor.error_line == 10
    assert press(qtbot, win, K.Key_F11).line == 1  # a new run starts
    assert win.editor.error_line is None


def test_stop_ends_an_endless_loop_while_the_gui_keeps_running(qtbot, win):
    win.editor.setPlainText("n = 0\nwhile True:\n    n += 1\n")
    press(qtbot, win, K.Key_F11)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    with qtbot.waitSignal(win.wiring.bridge.status_changed, timeout=5000):
        qtbot.keyClick(win.windowHandle(), K.Key_F5)  # Continue: runs forever
    # the timer keeps firing while the script runs forever: the event loop never waits on the
    # worker (waited for, not timed: other tests' abandoned threads may share the GIL)
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=5000)
    assert win.wiring.bridge.status == "running"
    result = press(qtbot, win, K.Key_F5, SHIFT, signal="finished")
    timer.stop()
    assert result.status == "stopped"
    assert win.wiring.bridge.status == "finished"


def drawn(gv):
    """What the graph view shows: nodes with their highlight and position, edges with their
    grads and place."""
    nodes = {i: (it.node, it.highlighted, (it.pos().x(), it.pos().y()))
             for i, it in gv.node_items.items()}
    def where(e):  # the arrow in scene coordinates (a reused arrow may have been moved)
        r = e.mapRectToScene(e.path().boundingRect())
        return tuple(round(v, 3) for v in (r.x(), r.y(), r.width(), r.height()))

    edges = sorted((e.edge.src, e.edge.dst, fmt(e.edge.grad), where(e)) for e in gv.edge_items)
    return nodes, edges


def test_in_place_graph_updates_draw_what_a_full_rebuild_draws(qtbot, win):
    from desktop.ui.graph_view import GraphView

    to_backward(qtbot, win)
    end = step_until(qtbot, win, "backward_end")
    gv = win.graph_view
    fresh = GraphView(layout_fn=gv.layout_fn)
    qtbot.addWidget(fresh)
    h = win.wiring.bridge.history
    # every stop, walking back from the end: backward steps patch boxes in place, forward
    # lines remove the nodes they had added and lay the rest out again
    for pos in range(len(h) - 1, -1, -1):
        state = h[pos]
        if not state.graph.nodes:
            break  # nothing drawn: the view shows its empty-graph text instead
        win.wiring.bridge.go_to(pos)
        qtbot.waitUntil(lambda s=state: gv.snapshot is s.graph, timeout=5000)
        fresh.set_snapshot(state.graph)
        assert drawn(gv) == drawn(fresh)
        assert len(gv.scene.items()) == len(fresh.scene.items())
    assert end.graph is not h[0].graph and pos < 4
    for later in range(pos + 1, len(h)):  # and forward again: the graph grows line by line
        state = h[later]
        win.wiring.bridge.go_to(later)
        qtbot.waitUntil(lambda s=state: gv.snapshot is s.graph, timeout=5000)
        fresh.set_snapshot(state.graph)
        assert drawn(gv) == drawn(fresh)


def test_past_states_show_the_output_printed_by_then_and_restart_clears_it(qtbot, win):
    win.editor.setPlainText('print("one")\nx = 1\nprint("two")\ny = 2\n')
    out = win.output.text
    press(qtbot, win, K.Key_F11)
    for _ in range(3):
        state = press(qtbot, win, K.Key_F10)
    assert state.line == 4 and out.toPlainText() == "one\ntwo\n"
    press(qtbot, win, K.Key_Left, ALT, signal="viewed")
    state = press(qtbot, win, K.Key_Left, ALT, signal="viewed")
    assert state.line == 2 and out.toPlainText() == "one\n"
    press(qtbot, win, K.Key_Right, ALT, signal="viewed")
    press(qtbot, win, K.Key_Right, ALT, signal="viewed")
    assert out.toPlainText() == "one\ntwo\n"
    state = press(qtbot, win, K.Key_F5, CTRL | SHIFT)  # Restart
    assert state.line == 1 and out.toPlainText() == ""
    press(qtbot, win, K.Key_F10)
    assert out.toPlainText() == "one\n"


LOOP = """\
total = 0
for i in range(6):
    total += i
print(total)
"""


def test_conditional_breakpoints_stop_when_true_and_follow_their_line(qtbot, win):
    win.editor.setPlainText(LOOP)
    wiring = win.wiring
    assert wiring.set_condition(3, "i ==") == ("The condition 'i ==' is not a Python "
                                               "expression (SyntaxError: invalid syntax); the "
                                               "breakpoint was not changed.")
    assert win.breakpoints == frozenset()
    assert wiring.set_condition(3, "i == 4") is None
    assert win.breakpoints == {3} and wiring.bridge.session.breakpoints == {3: "i == 4"}
    win.inspector.add_watch("i")
    state = press(qtbot, win, K.Key_F5)
    assert state.line == 3 and dict(state.watches)["i"] == "4"
    assert win.inspector.watch_values()["i"] == "4"
    result = press(qtbot, win, K.Key_F5, signal="finished")
    assert result.output == "15\n"
    cur = win.editor.textCursor()
    cur.movePosition(QTextCursor.MoveOperation.Start)
    cur.insertText("# a new first line\n")
    win.editor.document().setModified(False)  # no unsaved-changes prompt when the test ends
    assert win.breakpoints == {4} and wiring.bridge.session.breakpoints == {4: "i == 4"}
    assert wiring.set_condition(4, "") is None  # unconditional now
    assert wiring.bridge.session.breakpoints == {4: None}


def test_a_condition_that_raises_stops_with_its_error_in_view_and_the_run_goes_on(qtbot, win):
    win.editor.setPlainText(LOOP)
    wiring = win.wiring
    assert wiring.set_condition(3, "total / (i - 2) > 0") is None
    state = press(qtbot, win, K.Key_F5)  # i = 0, 1: false; i = 2: ZeroDivisionError
    assert state.line == 3 and "ZeroDivisionError: division by zero" in state.warning
    text = " ".join(wiring.panel.text().split())
    assert text.startswith("Breakpoint condition failed The condition of the breakpoint on "
                           "line 3 (total / (i - 2) > 0) raised ZeroDivisionError")
    assert text.count("ZeroDivisionError") == 1  # not repeated under "In words"
    assert not wiring.panel_dock.visibleRegion().isEmpty()  # raised over the inspector
    assert "condition raised an error" in win.run_label.text()
    assert "ZeroDivisionError" in win.run_label.toolTip()
    assert win.editor.error_line is None  # the script itself did not fail
    state = press(qtbot, win, K.Key_F5)  # i = 3: 3 / 1 > 0
    assert state.line == 3 and state.warning == ""
    assert "Breakpoint condition failed" not in wiring.panel.text()
    assert "condition" not in win.run_label.text()
    for _ in range(2):
        press(qtbot, win, K.Key_F5)
    result = press(qtbot, win, K.Key_F5, signal="finished")
    assert result.status == "finished" and result.output == "15\n"


def test_the_condition_dialog_explains_a_syntax_error_and_changes_nothing(qtbot, win,
                                                                          monkeypatch):
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    win.editor.setPlainText(LOOP)
    cursor_to(win, 3)
    answers = iter([("i ==", True), ("i == 4", True)])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(answers))
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warned.append(a[1:]))
    menu = {a.text(): a for a in win.wiring.menu.actions()}
    menu["Breakpoint &Condition…"].trigger()
    assert warned == [("Breakpoint condition", "The condition 'i ==' is not a Python "
                       "expression (SyntaxError: invalid syntax); the breakpoint was not "
                       "changed.")]
    assert win.breakpoints == frozenset() and win.wiring.bridge.session.breakpoints == {}
    menu["Breakpoint &Condition…"].trigger()
    assert len(warned) == 1 and win.wiring.bridge.session.breakpoints == {3: "i == 4"}
    assert press(qtbot, win, K.Key_F5).line == 3


def test_the_debug_menu_lists_every_command_with_its_shortcut(win):
    menu = {a.text().replace("&", ""): a.shortcut().toString()
            for a in win.wiring.menu.actions() if not a.isSeparator()}
    assert menu == {
        "Run / Continue": "F5", "Stop": "Shift+F5", "Step over": "F10", "Step into": "F11",
        "Step out": "Shift+F11", "Run to cursor": "Ctrl+F10", "Restart": "Ctrl+Shift+F5",
        "Step back": "Alt+Left", "Step forward": "Alt+Right", "Toggle Breakpoint": "F9",
        "Breakpoint Condition…": "Ctrl+Shift+F9"}
    for act in win.wiring.menu.actions():
        if not act.isSeparator():  # the toolbar and menu tooltips name the key too
            assert f"({act.shortcut().toString()})" in act.toolTip(), act.text()
    toolbar = win.wiring.controls.actions_by_key
    assert "(F5)" in toolbar["continue"].toolTip() and "(Shift+F5)" in toolbar["stop"].toolTip()


def test_the_step_cap_ends_a_traced_run_with_its_message_in_the_output_pane(qtbot, win):
    win.editor.setPlainText("i = 0\nwhile True:\n    i += 1\n    if i < 0:\n        print(i)\n")
    win.wiring.bridge.session.max_steps = 300
    cursor_to(win, 5)
    qtbot.keyClick(win.windowHandle(), K.Key_F9)  # never reached: every line is traced
    result = press(qtbot, win, K.Key_F5, signal="finished")
    message = ("step limit reached: the debugger executed 300 lines of the script and "
               "stopped it")
    assert result.status == "stopped" and result.error.message == message
    assert win.output.error is result.error and not win.output.error_box.isHidden()
    assert message in win.output.error_title.text()
    assert win.editor.error_line in (2, 3, 4)


def test_the_timeline_slider_shows_a_past_backward_node_as_it_was(qtbot, win):
    win.inspector.add_watch("b.grad")
    first = to_backward(qtbot, win)
    step_until(qtbot, win, "backward_end")
    rows = {r[0]: r for r in win.inspector.row_texts()}
    assert rows["b"][6] != "None"  # after the pass: b has its grad
    h, tl = win.wiring.bridge.history, win.wiring.timeline
    pos = next(i for i in range(len(h)) if h[i] is first)
    with qtbot.waitSignal(win.wiring.bridge.viewed, timeout=5000) as blocker:
        tl.slider.setValue(pos)
    assert blocker.args[0] is first and win.wiring.state is first
    assert tl.label.text() == f"{pos + 1} / {len(h)} · backward: MeanBackward0 (loss)"
    # graph, inspector, watch and panel as they were at that node: nothing freed, no grads yet
    gv = win.graph_view
    assert gv.snapshot is first.graph and not any(it.node.freed for it in gv.node_items.values())
    assert {i for i, it in gv.node_items.items() if it.highlighted} == {first.backward.node}
    rows = {r[0]: r for r in win.inspector.row_texts()}
    assert rows["b"][6] == "None" and rows["w"][6] == "None"
    assert win.inspector.watch_values()["b.grad"] == "None"
    assert win.wiring.panel.text().startswith("MeanBackward0 (loss)")
    assert win.editor.current_line == 8 and "past state" in win.run_label.text()
