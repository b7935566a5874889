"""Predict mode in the window: a backward stop is held until answered, the verdict names the
mistake, scores count and survive a session round trip, forward guesses are judged."""

from __future__ import annotations

import numpy as np
import pytest
from integration_helpers import make_app

from desktop import lessons
from desktop import session as sessions
from desktop.ui.debug_wiring import attach_debugger
from desktop.ui.predict_wiring import attach_predict


@pytest.fixture
def app(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    window, controller = make_app(qtbot, settings, tmp_path)
    window.debugger = attach_debugger(window)
    practice = attach_predict(window)
    yield window, controller, practice
    window.debugger.bridge.shutdown()
    controller.shutdown()
    assert controller.join_jobs(), "a background job outlived its cancel"
    window.editor.document().setModified(False)


def wait_paused(qtbot, bridge, action):
    with qtbot.waitSignal(bridge.paused, timeout=15000) as blocker:
        action()
    return blocker.args[0]


def into_backward(qtbot, window):
    """Step over lines; F11 on each backward() line until a backward stop comes."""
    bridge = window.debugger.bridge
    state = wait_paused(qtbot, bridge, bridge.step_into)
    lines = window.source().splitlines()
    for _ in range(80):
        if state.kind == "backward":
            return state
        into = state.kind == "line" and "backward(" in lines[state.line - 1]
        state = wait_paused(qtbot, bridge, bridge.step_into if into else bridge.step_over)
    raise AssertionError("no backward stop")


def open_lesson(controller, lesson_id):
    lesson = lessons.get(lesson_id)
    assert controller.open_lesson(lesson.code, lesson.id)
    return lesson


def ask_until(qtbot, window, practice, op):
    """Step (F10) until the held question is about a node with op ``op``."""
    bridge = window.debugger.bridge
    for _ in range(30):
        q = practice.coach.pending
        if q is not None and q.context.op == op:
            return q
        if q is not None:
            practice.show_me()
        wait_paused(qtbot, bridge, bridge.step_over)
    raise AssertionError(f"never asked about {op}")


def test_a_held_stop_is_revealed_by_the_answer_and_scored(app, qtbot):
    window, controller, practice = app
    open_lesson(controller, "custom-function")
    practice.act.trigger()
    assert practice.coach.enabled and practice.panel.entry.isEnabled() is False
    into_backward(qtbot, window)
    q = ask_until(qtbot, window, practice, "MyReLUBackward")
    held = practice._held
    assert held is not None and window.debugger.state is not held  # values not shown yet
    assert practice.panel.entry.isEnabled()
    assert "What gradient does it send to `Z`?" in practice.panel.prompt.text()
    # the learner forgets the mask: named, and the stop is revealed
    practice.panel.entry.setText("[[0.3333333, 0.0, 1.0]]")
    practice.panel._submit()
    assert "Right." in practice.panel.result.toPlainText()
    assert window.debugger.state is held
    assert practice.coach.scores.get("custom-function").text() == "1/1"
    assert "1/1" in practice.panel.score.text()
    item = controller.lessons_panel._items["custom-function"]
    assert item.text(0).endswith("·  1/1")
    assert np.allclose(q.expected, [[1 / 3, 0, 1]])


def test_a_wrong_answer_names_the_broadcast_sum_and_an_expression_is_evaluated(app, qtbot):
    window, controller, practice = app
    open_lesson(controller, "custom-function")
    practice.set_enabled(True)
    into_backward(qtbot, window)
    ask_until(qtbot, window, practice, "AddBackward0")  # Z = w @ X.t() + b: b's gradient
    practice.panel.entry.setText("Z.grad_fn is not None and [[1/3, 0, 1]]")
    practice.panel._submit()  # an expression: runs in the paused script's names
    qtbot.waitUntil(lambda: practice.coach.pending is None, timeout=5000)
    text = practice.panel.result.toPlainText()
    assert text.startswith("Not quite: you forgot to sum over dim 1 that `b` was broadcast")
    assert "summed back to the input's shape [1, 1]" in text
    # MyReLU's question came first and was passed with Show me: not right either
    assert practice.coach.scores.get("custom-function").text() == "0/2"


def test_an_unreadable_answer_keeps_the_question_open(app, qtbot):
    window, controller, practice = app
    open_lesson(controller, "weighted-outputs")
    practice.set_enabled(True)
    into_backward(qtbot, window)
    assert practice.coach.pending is not None
    practice.panel.entry.setText("[[1, 2], [3]]")
    practice.panel._submit()
    assert "same length" in practice.panel.result.toPlainText()
    assert practice.coach.pending is not None and practice.panel.entry.isEnabled()
    practice.show_me()
    assert practice.coach.pending is None
    assert practice.panel.result.toPlainText().startswith("The engine's value")


def test_mode_and_scores_are_saved_with_the_session(app, qtbot, tmp_path):
    window, controller, practice = app
    open_lesson(controller, "several-inputs")
    practice.set_enabled(True)
    practice.coach.scores.record("several-inputs", "q", True)
    path = str(tmp_path / "p.stepgrad")
    assert controller.save_session(path)
    saved = sessions.load(path).settings["practice"]
    assert saved["enabled"] is True and saved["scores"]["several-inputs"]["right"] == 1
    practice.set_enabled(False)
    practice.coach.scores = type(practice.coach.scores)()
    assert controller.open_session(path)
    assert practice.act.isChecked() and practice.coach.enabled
    assert practice.coach.scores.get("several-inputs").text() == "1/1"


def test_a_forward_guess_is_judged_at_the_next_stop(app, qtbot):
    window, controller, practice = app
    window.editor.setPlainText("import torch\nx = torch.tensor([1.0, 2.0])\ny = x * 3\n")
    practice.set_enabled(True)
    bridge = window.debugger.bridge
    state = wait_paused(qtbot, bridge, bridge.step_into)
    while state.line != 3:
        state = wait_paused(qtbot, bridge, bridge.step_over)
    assert practice.panel.prompt.text().startswith("What will `y` be after `y = x * 3`?")
    practice.panel.entry.setText("[3, 6]")
    practice.panel._submit()
    assert "Noted." in practice.panel.result.toPlainText()
    with qtbot.waitSignal(bridge.finished, timeout=15000):
        bridge.step_over()
    qtbot.waitUntil(lambda: "Right." in practice.panel.result.toPlainText() or
                    practice.coach.scores.get("").asked == 1, timeout=5000)
    assert practice.coach.scores.get("").text() == "1/1"


def test_tools_check_hand_derived_gradients_names_the_first_wrong_line(app, qtbot):
    from integration_helpers import run_source

    window, controller, practice = app
    assert "Run the script first".lower() in practice.check_by_hand().lower()
    code = lessons.get("backprop-by-hand").code.replace("db1 = dZ.sum(0)", "db1 = dZ")
    result = run_source(qtbot, window, controller, code)
    assert result.status == "finished"
    assert practice.act_by_hand in controller.tools_menu.actions()
    text = practice.check_by_hand()
    line = code.splitlines().index("db1 = dZ") + 1
    assert f"First wrong: db1 at line {line}." in text
    assert "you forgot to sum over the batch axis (dim 0) that `b1` was broadcast" in text
    assert "== hand-derived gradients ==" in window.output.text.toPlainText()
    assert "press Compute in the Symbolic panel" in text  # no closed forms computed yet
