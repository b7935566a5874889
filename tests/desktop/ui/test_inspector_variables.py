"""The inspector's Variables tab lists every variable of the shown frame, not only tensors,
grouped by scope with a paused function's locals first; the tensor table lists locals first
too."""

from __future__ import annotations

import pytest

from desktop.app import wire
from desktop.ui.main_window import MainWindow
from desktop.variables import short_repr

PROGRAM = """\
import torch
w = torch.tensor([2.0, -1.0], requires_grad=True)
losses = []
step = 0
def train(x):
    scale = 3
    h = w * x * scale
    loss = h.sum()
    return loss
for step in range(2):
    losses.append(train(torch.tensor([1.0, 2.0])).item())
print(losses)
"""


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


def test_a_paused_functions_locals_come_first_then_the_globals(win, qtbot):
    dbg = win.debugger
    win.editor.set_breakpoints({9})  # `return loss` inside train(), first call
    with qtbot.waitSignal(dbg.bridge.paused, timeout=20000):
        dbg.run_or_continue()
    rows = win.inspector.variables_view.rows()
    scopes = [r[0] for r in rows]
    assert scopes[0] == "locals of train()" and "globals" in scopes
    assert scopes.index("globals") == scopes.count("locals of train()")  # grouped, locals first
    by_name = {r[1]: r for r in rows}
    assert by_name["scale"][2:] == ("int", "3")
    assert by_name["x"][0] == "locals of train()" and by_name["x"][2] == "Tensor"
    assert by_name["losses"][2:] == ("list", "[]") and by_name["step"][3] == "0"
    assert "torch" not in by_name and "train" not in by_name  # modules and functions: noise
    names = [t.name for t in win.inspector.tensors]
    assert names.index("loss") < names.index("w") and names.index("h") < names.index("w")


def test_after_a_plain_run_the_globals_are_listed(win, qtbot):
    with qtbot.waitSignal(win.controller.run_finished, timeout=20000):
        win.act_run.trigger()
    by_name = {r[1]: r for r in win.inspector.variables_view.rows()}
    assert by_name["losses"][2] == "list" and by_name["step"][2:] == ("int", "1")
    losses = eval(by_name["losses"][3])  # the values the script computed: sum(3 w x) = 0
    assert losses == [0.0, 0.0]


def test_short_repr_keeps_long_lists_short():
    assert short_repr(list(range(100))) == "[0, 1, 2, …, 99] (100 items)"
    assert short_repr("x" * 500).endswith("…") and len(short_repr("x" * 500)) == 120
    assert short_repr({"a": 1}) == "{'a': 1}"
