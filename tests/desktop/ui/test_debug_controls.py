"""Debugger toolbar, its shortcuts and the timeline, driven against a real DebugSession."""

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMainWindow

from desktop.ui.debug_bridge import DebugBridge
from desktop.ui.debug_controls import ACTIONS, DebugControls, enabled_actions
from desktop.ui.timeline import Timeline

SCRIPT = """\
import torch
w = torch.tensor(2.0, requires_grad=True)
y = w * w
loss = y * 3
loss.backward()
print(w.grad)
"""


@pytest.fixture
def window(qtbot):
    win = QMainWindow()
    bridge = DebugBridge(source_provider=lambda: win.source, parent=win)
    win.source = SCRIPT
    win.cursor = 5
    controls = DebugControls(bridge, cursor_line=lambda: win.cursor)
    timeline = Timeline(bridge)
    win.addToolBar(controls)
    win.setCentralWidget(timeline)
    qtbot.addWidget(win)
    with qtbot.waitExposed(win):
        win.show()
    win.bridge, win.controls, win.timeline = bridge, controls, timeline
    yield win
    bridge.shutdown()


def enabled(win):
    return {k for k, a in win.controls.actions_by_key.items() if a.isEnabled()}


def press(qtbot, win, key, modifier=Qt.KeyboardModifier.NoModifier, signal="paused"):
    with qtbot.waitSignal(getattr(win.bridge, signal), timeout=5000) as blocker:
        qtbot.keyClick(win.windowHandle(), key, modifier)
    return blocker.args[0]


def test_enabled_actions_by_state():
    assert enabled_actions("idle", -1, 0, True) == {"continue", "step_over", "step_into",
                                                    "run_to_cursor"}
    assert enabled_actions("running", 3, 4, True) == {"stop", "restart", "step_back"}
    assert enabled_actions("paused", 0, 1, False) == {
        "continue", "step_over", "step_into", "step_out", "stop", "restart"}
    assert "step_forward" in enabled_actions("paused", 1, 3, True)
    assert enabled_actions("finished", 2, 3, True) >= {"restart", "step_back", "continue"}
    assert "stop" not in enabled_actions("finished", 2, 3, True)


def test_tooltips_show_the_shortcuts(window):
    acts = window.controls.actions_by_key
    assert [k for k, *_ in ACTIONS] == list(acts)
    expected = {"continue": "F5", "step_over": "F10", "step_into": "F11",
                "step_out": "Shift+F11", "stop": "Shift+F5", "run_to_cursor": "Ctrl+F10",
                "restart": "Ctrl+Shift+F5", "step_back": "Alt+Left"}
    for key, keys in expected.items():
        assert acts[key].shortcut().toString() == keys
        assert f"({keys})" in acts[key].toolTip()
    assert acts["step_over"].toolTip().startswith("Step over (F10) — ")


def test_shortcuts_step_the_script_and_enable_actions_by_state(qtbot, window):
    assert enabled(window) == {"continue", "step_over", "step_into", "run_to_cursor"}
    state = press(qtbot, window, Qt.Key.Key_F11)
    assert state.line == 1 and window.bridge.status == "paused"
    assert enabled(window) == {"continue", "step_over", "step_into", "step_out", "stop",
                               "restart", "run_to_cursor"}
    assert press(qtbot, window, Qt.Key.Key_F10).line == 2
    assert "step_back" in enabled(window)
    assert press(qtbot, window, Qt.Key.Key_F10, Qt.KeyboardModifier.ControlModifier).line == 5
    # F11 on the backward() line: one node per step
    state = press(qtbot, window, Qt.Key.Key_F11)
    assert state.label == "backward: MulBackward0 (loss)"
    assert window.timeline.label.text().endswith("backward: MulBackward0 (loss) (now)")
    assert window.timeline.label.toolTip().splitlines()[:2] == [
        "Backward call 1, node 1: MulBackward0 (loss) ran.", "  grad in: 1"]
    state = press(qtbot, window, Qt.Key.Key_F11, Qt.KeyboardModifier.ShiftModifier)
    assert state.label == "line 6"  # Step out finished the backward pass
    result = press(qtbot, window, Qt.Key.Key_F5, signal="finished")
    assert result.status == "finished" and result.output == "tensor(12.)\n"
    assert window.bridge.status == "finished"
    assert enabled(window) >= {"continue", "restart", "step_back"}
    assert "stop" not in enabled(window) and "step_out" not in enabled(window)


def test_stop_shortcut_ends_the_run(qtbot, window):
    press(qtbot, window, Qt.Key.Key_F10)
    result = press(qtbot, window, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier,
                   signal="finished")
    assert result.status == "stopped"


def test_timeline_moves_through_past_states(qtbot, window):
    for _ in range(3):
        press(qtbot, window, Qt.Key.Key_F10)
    tl = window.timeline
    assert tl.labels == ["line 1", "line 2", "line 3"]
    assert tl.slider.maximum() == 2 and tl.slider.value() == 2 and tl.slider.isEnabled()
    assert tl.label.text() == "3 / 3 · line 3 (now)"
    with qtbot.waitSignal(window.bridge.viewed, timeout=2000) as blocker:
        tl.slider.setValue(0)
    assert blocker.args[0].label == "line 1" and tl.label.text() == "1 / 3 · line 1"
    assert window.bridge.history.viewing_past
    assert "step_forward" in enabled(window) and "step_back" not in enabled(window)
    with qtbot.waitSignal(window.bridge.viewed, timeout=2000) as blocker:
        qtbot.keyClick(window.windowHandle(), Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert blocker.args[0].label == "line 2" and tl.slider.value() == 1
    with qtbot.waitSignal(window.bridge.viewed, timeout=2000):
        window.controls.actions_by_key["step_back"].trigger()
    assert tl.slider.value() == 0
    # a new step goes on from the live position and brings the view back to it
    assert press(qtbot, window, Qt.Key.Key_F10).line == 4
    assert tl.slider.value() == 3 and tl.label.text() == "4 / 4 · line 4 (now)"


def test_timeline_shows_the_history_cap_note(qtbot):
    bridge = DebugBridge(max_states=3)
    bridge.session.source = "for i in range(5):\n    x = i\n"
    tl = Timeline(bridge)
    qtbot.addWidget(tl)
    for _ in range(5):
        with qtbot.waitSignal(bridge.paused, timeout=5000):
            bridge.step_over()
    assert tl.labels == ["line 1", "line 2", "line 1"]  # stops 3-5 of 5: i = 1, 1, 2
    assert tl.note.text() == "history keeps the last 3 stops; 2 older stops dropped"
    assert not tl.note.isHidden()
    bridge.shutdown()


def test_stop_button_ends_an_infinite_loop_while_the_gui_stays_responsive(qtbot, window):
    window.source = "while True:\n    pass\n"
    ticks = []
    timer = QTimer(window)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(5)
    window.controls.actions_by_key["continue"].trigger()
    assert window.bridge.status == "running"
    qtbot.wait(200)
    assert enabled(window) == {"stop", "restart"}
    with qtbot.waitSignal(window.bridge.finished, timeout=1000) as blocker:
        window.controls.actions_by_key["stop"].trigger()
    timer.stop()
    assert blocker.args[0].status == "stopped"
    assert len(ticks) >= 5  # the event loop kept running (the worker holds the GIL often)


def test_deleting_the_bridge_stops_its_script(qtbot):
    bridge = DebugBridge()
    bridge.session.source = "while True:\n    pass\n"
    session = bridge.session
    bridge.continue_()
    qtbot.wait(50)
    bridge.deleteLater()
    qtbot.wait(50)
    assert session.wait(2).status == "stopped"
