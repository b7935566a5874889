"""A watch added while the debugger is paused is evaluated at once in the paused frame; one
added while a past stop is shown is evaluated from that stop's recorded tensors."""

from __future__ import annotations

import numpy as np
import pytest
from integration_helpers import SEED

import engine
from desktop.app import wire
from desktop.ui.main_window import MainWindow
from desktop.ui.stop_watches import NOT_RECORDED, PAST_NOTE

PROGRAM = SEED + "count = 7\nlosses = [1.5, 2.5]\nprint(count)\n"


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
    w.editor.setPlainText(PROGRAM)
    yield w
    w.debugger.bridge.stop()
    w.controller.shutdown()
    w.debugger.bridge.shutdown()


def _line(needle: str) -> int:
    return next(i for i, t in enumerate(PROGRAM.splitlines(), 1) if needle in t)


def _pause_at(win, qtbot, line: int):
    dbg = win.debugger
    win.editor.set_breakpoints({line})
    with qtbot.waitSignal(dbg.bridge.paused, timeout=20000):
        dbg.run_or_continue()
    return dbg


def test_a_watch_added_at_a_live_stop_is_evaluated_at_once(win, qtbot):
    _pause_at(win, qtbot, _line("print(count)"))
    win.inspector.add_watch("w * 2")
    win.inspector.add_watch("count + len(losses)")
    values = win.inspector.watch_values()
    assert values["w * 2"] == repr(engine.tensor([[6.0, 2.0]]))
    assert values["count + len(losses)"] == "9"
    # evaluated without touching the graph: w has no new consumer and still no grad_fn
    assert "grad_fn" not in values["w * 2"]


def test_a_watch_added_at_a_past_stop_reads_that_stops_tensors(win, qtbot):
    dbg = _pause_at(win, qtbot, _line("loss.backward()"))
    with qtbot.waitSignal(dbg.bridge.paused, timeout=20000):
        dbg.controls.actions_by_key["step_over"].trigger()  # backward ran: w.grad is set
    live = {t.name: t for t in dbg.state.tensors}
    assert live["w"].grad is not None
    with qtbot.waitSignal(dbg.bridge.viewed, timeout=5000):
        dbg.controls.actions_by_key["step_back"].trigger()  # before backward: no grad yet
    assert dbg.bridge.history.viewing_past
    win.inspector.add_watch("w.grad")
    win.inspector.add_watch("(Y_hat - Y).pow(2).mean()")
    win.inspector.add_watch("count")
    values = win.inspector.watch_values()
    assert values["w.grad"] == "None" + PAST_NOTE
    past = {t.name: t for t in dbg.state.tensors}
    expected = np.mean((past["Y_hat"].value - past["Y"].value) ** 2)
    shown = values["(Y_hat - Y).pow(2).mean()"]
    assert shown.endswith(PAST_NOTE)
    assert float(shown.split("(")[1].split(")")[0]) == pytest.approx(float(expected), rel=1e-4)
    assert values["count"] == NOT_RECORDED
    # forward again to the live stop: the same watch now reads the grad backward made
    with qtbot.waitSignal(dbg.bridge.viewed, timeout=5000):
        dbg.controls.actions_by_key["step_forward"].trigger()
    w_grad = win.inspector.watch_values()["w.grad"]
    assert w_grad.startswith("tensor(") and PAST_NOTE not in w_grad
    np.testing.assert_allclose(
        eval(w_grad.replace("tensor", "np.array"), {"np": np}), live["w"].grad, rtol=1e-4)
