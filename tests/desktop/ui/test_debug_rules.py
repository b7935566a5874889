"""The debugger's buttons are enabled by their action-table rows' rules, evaluated from the
debug session's state: first the plain ``DebugFacts`` (no window), then the wired window."""

import pytest
from PySide6.QtCore import Qt

from desktop.ui import actions as table
from desktop.ui.debug_rules import DEBUG_RULES, DebugFacts

DEBUG_ROWS = [r for r in table.ACTIONS if r.toolbar == "debug" and r.enabled_when != "always"]
STARTERS = {"debug.continue", "debug.step_over", "debug.step_into", "debug.run_to_cursor"}


def on(facts: DebugFacts) -> set[str]:
    return facts.enabled(table.ACTIONS)


# ---- the plain class ---------------------------------------------------------------------------
def test_every_debugger_row_declares_a_rule_the_facts_evaluate():
    assert {r.id for r in DEBUG_ROWS} == STARTERS | {
        "debug.step_out", "debug.stop", "debug.restart", "debug.step_back", "debug.step_forward"}
    for row in DEBUG_ROWS:
        assert row.enabled_when in DEBUG_RULES, row.id
    assert set(DEBUG_RULES) <= set(table.ENABLED_RULES)
    assert set(DebugFacts().rules()) == set(DEBUG_RULES)
    # a rule nobody declares would be dead: each is some row's (idle: the window's Run)
    declared = {r.enabled_when for r in table.ACTIONS}
    assert set(DEBUG_RULES) <= declared


def test_idle_session_offers_the_starters_only():
    assert on(DebugFacts("idle")) == STARTERS | {"run.run"}
    assert on(DebugFacts("idle", can_cursor=False)) == STARTERS - {"debug.run_to_cursor"} \
        | {"run.run"}


def test_running_offers_stop_restart_and_the_recorded_stops():
    assert on(DebugFacts("running", position=3, count=4)) == {
        "debug.stop", "debug.restart", "debug.step_back"}


def test_paused_offers_every_step_and_no_plain_run():
    got = on(DebugFacts("paused", position=1, count=3))
    assert got == STARTERS | {"debug.step_out", "debug.stop", "debug.restart",
                              "debug.step_back", "debug.step_forward"}
    assert "run.run" not in got


def test_finished_can_start_again_but_not_stop():
    got = on(DebugFacts("finished", position=2, count=3))
    assert got == STARTERS | {"debug.restart", "debug.step_back", "run.run"}


@pytest.mark.parametrize("status", ["idle", "finished"])
def test_a_plain_run_blocks_every_start_and_enables_stop(status):
    got = on(DebugFacts(status, position=0, count=2, plain_running=True))
    assert got == {"debug.stop", "debug.step_forward"}


def test_history_edges():
    assert not DebugFacts("paused", 0, 1).history_back
    assert not DebugFacts("paused", 0, 1).history_forward
    assert DebugFacts("paused", 0, 2).history_forward
    assert not DebugFacts("idle", -1, 0).history_forward  # nothing recorded


# ---- in the wired window -----------------------------------------------------------------------
@pytest.fixture
def win(qtbot, settings):
    from desktop.ui.debug_wiring import attach_debugger
    from desktop.ui.main_window import MainWindow

    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    wiring = attach_debugger(w)
    with qtbot.waitExposed(w):
        w.show()
    w.editor.setPlainText("x = 1\ny = 2\nz = 3\n")
    yield w
    wiring.bridge.shutdown()
    w.editor.document().setModified(False)


def shown(w) -> set[str]:
    return {i for i, a in w.action_set.actions.items()
            if a.isEnabled() and table.BY_ID[i].enabled_when in DEBUG_RULES}


def facts_of(w) -> DebugFacts:
    b = w.debugger.bridge
    return DebugFacts(b.status, b.history.position, len(b.history), True, w.running)


def test_the_window_shows_what_the_facts_say_through_a_plain_run_and_a_debugged_one(qtbot, win):
    assert shown(win) == on(facts_of(win)) == STARTERS | {"run.run"}
    win.set_running(True)  # a plain run (no runner needed: the window's own state)
    assert shown(win) == on(facts_of(win)) == {"debug.stop"}
    assert win.debugger.run_buttons.stop.isEnabled()
    win.set_running(False)
    assert shown(win) == STARTERS | {"run.run"}
    with qtbot.waitSignal(win.debugger.bridge.paused, timeout=10000):
        qtbot.keyClick(win.windowHandle(), Qt.Key.Key_F10)
    assert shown(win) == on(facts_of(win))
    assert "debug.step_out" in shown(win) and "run.run" not in shown(win)
    with qtbot.waitSignal(win.debugger.bridge.paused, timeout=10000):
        qtbot.keyClick(win.windowHandle(), Qt.Key.Key_F10)
    assert "debug.step_back" in shown(win)
    with qtbot.waitSignal(win.debugger.bridge.viewed, timeout=10000):
        qtbot.keyClick(win.windowHandle(), Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert shown(win) == on(facts_of(win))
    assert "debug.step_forward" in shown(win) and "debug.step_back" not in shown(win)
    with qtbot.waitSignal(win.debugger.bridge.finished, timeout=10000):
        win.debugger.stop()
    assert shown(win) == on(facts_of(win))
    assert "debug.stop" not in shown(win) and "run.run" in shown(win)
