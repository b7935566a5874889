"""End to end through the real controller: Run on a worker thread, output batching, the result
in every panel, errors with jump-to-line, watches, and Stop on an infinite loop."""

from __future__ import annotations

import time

import numpy as np
import pytest
from integration_helpers import SEED, app_fixture, run_source
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QTextCursor
from seed_programs import run_program

import engine
from desktop.ui.graph_items import GroupItem
from desktop.watch_eval import EVALUATING
from engine.random import DEFAULT_SEED


@pytest.fixture
def app(qtbot, settings, tmp_path, monkeypatch):
    yield from app_fixture(qtbot, settings, tmp_path, monkeypatch)


def _engine_seed_grads():
    """The seed computed directly on the engine, from the state a fresh run starts with."""
    engine.manual_seed(DEFAULT_SEED)  # what engine.script_namespace.fresh_engine_state seeds runs with
    seed = run_program(SEED)
    w, b, X, Y, loss = (seed[k] for k in ("w", "b", "X", "Y", "loss"))
    r = (X.numpy() @ np.array([[3.0], [1.0]]) + 3.0 - Y.numpy())  # by hand, float64
    by_hand = (2 * r.T @ X.numpy() / 10, np.array([[2 * r.mean()]]))
    return w.grad.numpy(), b.grad.numpy(), float(loss.item()), by_hand


def test_seed_runs_end_to_end(app, qtbot):
    window, controller = app
    window.editor.setPlainText(SEED)
    with qtbot.waitSignal(controller.run_finished, timeout=20000):
        qtbot.keyClick(window.windowHandle(), Qt.Key.Key_F5)  # the Run shortcut
    qtbot.waitUntil(lambda: len(window.graph_view.node_items) > 0, timeout=5000)

    nodes = window.graph_view.snapshot.nodes
    ops = sorted(n.op for n in nodes)
    assert ops == sorted(["MmBackward0", "TBackward0", "AddBackward0", "SubBackward0",
                          "PowBackward0", "MeanBackward0", "AccumulateGrad", "AccumulateGrad",
                          "const", "const"])
    labels = {n.op: n.label for n in nodes if n.op not in ("AccumulateGrad", "const")}
    assert labels["MeanBackward0"] == "loss" and labels["AddBackward0"] == "Y_hat"
    assert sorted(n.label for n in nodes if n.op == "AccumulateGrad") == ["b", "w"]
    assert sorted(n.label for n in nodes if n.op == "const") == ["X", "Y"]
    assert set(window.graph_view.node_items) == {n.id for n in nodes}  # all drawn

    dw, db, loss, (hand_w, hand_b) = _engine_seed_grads()
    by_name = {t.name: t for t in window.inspector.tensors}
    np.testing.assert_allclose(by_name["w"].grad, dw, rtol=1e-6)
    np.testing.assert_allclose(by_name["b"].grad, db, rtol=1e-6)
    np.testing.assert_allclose(by_name["w"].grad, hand_w, rtol=1e-5)
    np.testing.assert_allclose(by_name["b"].grad, hand_b, rtol=1e-5)
    rows = {r[0]: r for r in window.inspector.row_texts()}
    assert rows["w"][3] == "True" and rows["Y_hat"][5] == "AddBackward0"
    assert by_name["X"].grad is None
    # what the user reads: the grad column, and the grad on the edge out of w's AccumulateGrad
    assert rows["w"][6] == "[" + ", ".join(f"{v:.4g}" for v in dw.ravel()) + "]"
    assert rows["b"][6] == f"{db.item():.4g}" and rows["X"][6] == "None"
    w_id = next(n.id for n in nodes if n.label == "w")
    w_edge = next(e for e in window.graph_view.edge_items if e.edge.src == w_id)
    assert w_edge.grad_label is not None and w_edge.grad_label.text() == rows["w"][6]

    _, ys = window.plots.loss_curve.getData()  # one backward() call, one point
    assert list(ys) == pytest.approx([loss], rel=1e-6)
    assert "tensor([[" in window.output.text.toPlainText()
    assert "finished" in window.run_label.text()
    assert window.symbolic.compute.isEnabled()  # the same run recorded the check's input
    assert "engine" in window.statusBar().currentMessage()


def test_watch_expressions_use_the_last_runs_namespace(app, qtbot):
    window, controller = app
    window.inspector.add_watch("w.grad.sum()")
    window.inspector.add_watch("undefined_name")
    run_source(qtbot, window, controller, SEED)
    dw = _engine_seed_grads()[0]

    def settled():  # a watch slower than the inspector waits for (a loaded machine) comes later
        qtbot.waitUntil(lambda: EVALUATING not in window.inspector.watch_values().values(),
                        timeout=10_000)
        return window.inspector.watch_values()

    values = settled()
    assert values["w.grad.sum()"] == f"tensor({dw.sum():.4f})"
    assert values["undefined_name"].startswith("NameError")
    # a watch never builds graph: it is evaluated under no_grad
    window.inspector.add_watch("(w * 2).requires_grad")
    assert settled()["(w * 2).requires_grad"] == "False"


def test_error_marks_the_line_and_the_traceback_jumps(app, qtbot):
    window, controller = app
    source = "import torch\nx = torch.ones(2)\n\ny = x.mm(x)\n"
    result = run_source(qtbot, window, controller, source)
    assert result.status == "error"
    assert window.editor.error_line == 4
    assert result.error.kind in window.editor.error_message
    assert not window.output.error_box.isHidden()
    frame = window.output.frames.item(window.output.frames.count() - 1)
    assert frame.text().startswith('File "untitled.py", line 4')  # not "<stepgrad>"
    window.editor.goto_line(1)
    window.output._frame_clicked(frame)
    assert window.editor.textCursor().blockNumber() == 3


def test_output_streams_while_the_script_runs(app, qtbot):
    window, controller = app
    window.editor.setPlainText("import time\nprint('first')\ntime.sleep(1.0)\nprint('last')\n")
    window.act_run.trigger()
    qtbot.waitUntil(lambda: "first" in window.output.text.toPlainText(), timeout=3000)
    assert controller.running  # shown before the run finished
    assert "last" not in window.output.text.toPlainText()
    qtbot.waitSignal(controller.run_finished, timeout=5000).wait()
    text = window.output.text.toPlainText()
    assert text.count("first") == 1 and "last" in text


def test_a_flood_of_prints_is_batched_and_complete(app, qtbot, monkeypatch):
    window, controller = app
    appends = []
    real = window.append_output
    monkeypatch.setattr(window, "append_output",
                        lambda text, stream="stdout": appends.append(text) or real(text, stream))
    result = run_source(qtbot, window, controller, "for i in range(10000):\n    print(i)\n")
    assert result.status == "finished"
    lines = window.output.text.toPlainText().split()
    assert lines[0] == "0" and lines[-1] == "9999" and len(lines) == 10000
    # 10000 writes reached the window in a few timer-driven batches, not one call each
    assert 0 < len(appends) < 200


def test_stop_ends_an_infinite_loop_while_the_gui_keeps_running(app, qtbot):
    window, controller = app
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    window.editor.setPlainText("n = 0\nwhile True:\n    n += 1\n")
    window.act_run.trigger()
    run = controller.run
    qtbot.waitUntil(lambda: run.namespace.get("n", 0) > 1000, timeout=10000)  # in the loop
    start = len(ticks)
    # the event loop keeps ticking while the script spins (a frozen GUI would time out here;
    # how fast it ticks depends on the machine's load, so no rate is asserted)
    qtbot.waitUntil(lambda: len(ticks) - start >= 10, timeout=5000)
    assert controller.running and window.act_stop.isEnabled()
    t0 = time.monotonic()
    with qtbot.waitSignal(controller.run_finished, timeout=3000) as blocker:
        qtbot.keyClick(window.windowHandle(), Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    assert time.monotonic() - t0 < 1.0
    assert blocker.args[0].status == "stopped"
    assert not controller.running and window.act_run.isEnabled()
    after = len(ticks)
    qtbot.waitUntil(lambda: len(ticks) > after + 2, timeout=2000)  # and after the Stop
    timer.stop()
    assert controller.state.namespace["n"] > 1000  # it really ran, and its state is kept


def test_a_second_run_replaces_the_first_results(app, qtbot):
    window, controller = app
    run_source(qtbot, window, controller, SEED)
    run_source(qtbot, window, controller, "import torch\na = torch.ones(3, requires_grad=True)\n")
    assert [t.name for t in window.inspector.tensors] == ["a"]
    assert [n.op for n in window.graph_view.snapshot.nodes] == ["AccumulateGrad"]
    assert not window.symbolic.compute.isEnabled()  # no backward: nothing to check


@pytest.mark.parametrize("loop", ["while True:\n    pass\n",
                                  "import torch\nx = torch.ones(3, requires_grad=True)\n"
                                  "while True:\n    y = (x * 2).sum()\n    y.backward()\n"])
def test_stop_ends_while_true_pass_within_a_second(app, qtbot, loop):
    window, controller = app
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    window.editor.setPlainText(loop)
    window.act_run.trigger()
    qtbot.wait(300)  # well inside the loop
    qtbot.waitUntil(lambda: len(ticks) >= 10, timeout=5000)  # the event loop runs meanwhile
    assert controller.running
    t0 = time.monotonic()
    with qtbot.waitSignal(controller.run_finished, timeout=3000) as blocker:
        window.act_stop.trigger()
    elapsed = time.monotonic() - t0
    print(f"\nStop took {elapsed * 1000:.0f} ms")
    assert blocker.args[0].status == "stopped"
    assert elapsed < 1.0
    after = len(ticks)
    qtbot.waitUntil(lambda: len(ticks) > after + 2, timeout=2000)
    timer.stop()
    assert window.act_run.isEnabled() and not window.act_stop.isEnabled()


def test_running_own_code_brings_the_output_over_the_start_page(app, qtbot):
    window, controller = app
    lessons, output = window.docks["lessons"], window.docks["output"]
    assert not lessons.visibleRegion().isEmpty()  # the start page, at launch
    run_source(qtbot, window, controller, "print('mine')\n")
    assert not output.visibleRegion().isEmpty() and lessons.visibleRegion().isEmpty()
    from desktop import lessons as catalogue

    lesson = catalogue.all_lessons()[0]
    controller.open_lesson(lesson.code, lesson.id)
    with qtbot.waitSignal(controller.run_finished, timeout=20000):
        window.act_run.trigger()
    assert not lessons.visibleRegion().isEmpty()  # a lesson's text stays beside its run


NAN_SCRIPT = """\
import torch
w = torch.tensor([1.0, -1.0, 0.0], requires_grad=True)
y = torch.log(w)
loss = y.sum()
loss.backward()
"""


def test_bad_input_syntax_error_nan_and_a_huge_graph_each_get_a_message(app, qtbot):
    window, controller = app
    result = run_source(qtbot, window, controller, "import torch\nif True\n    pass\n")
    assert result.status == "error" and result.error.kind == "SyntaxError"
    assert window.editor.error_line == 2 and "line 2" in window.run_label.text()

    run_source(qtbot, window, controller, NAN_SCRIPT)
    assert "NaN/Inf in w.grad, y, loss" in window.run_label.text()
    y_node = next(it for it in window.graph_view.node_items.values() if it.node.label == "y")
    assert "⚠ NaN/Inf" in y_node.lines[-1]
    window.inspector.select("y")
    assert "1 NaN, 1 Inf" in window.inspector.value_view.header.text()

    loop = ("import torch\nx = torch.tensor(1.0, requires_grad=True)\ny = x\n"
            "for i in range(700):\n    y = torch.sin(y) * 1.01\ny.backward()\n")
    with qtbot.waitSignal(window.graph_view.layout_done, timeout=20000):
        result = run_source(qtbot, window, controller, loop)
    assert result.status == "finished" and len(result.graph.nodes) == 1401
    gv = window.graph_view
    assert 1 < len(gv.node_items) <= 60  # the loop drawn as groups, not 1,401 boxes
    assert any(isinstance(it, GroupItem) for it in gv.node_items.values())
    assert "1401 nodes, drawn as" in gv.note.text()


def test_stderr_stays_red_after_the_run(app, qtbot):
    window, controller = app
    run_source(qtbot, window, controller,
               "import sys\nprint('fine')\nprint('careful', file=sys.stderr)\n")
    doc = window.output.text.document()

    def colour(line):
        cur = QTextCursor(doc.findBlockByNumber(line))
        cur.movePosition(QTextCursor.MoveOperation.Right)
        return cur.charFormat().foreground().color().name()

    assert window.output.text.toPlainText() == "fine\ncareful\n"
    assert (colour(0), colour(1)) == (window.theme.stdout, window.theme.stderr)


def test_cyclic_garbage_is_collected_on_the_gui_thread_only(app, qtbot):
    # A collection in the script's thread that frees Qt widgets deadlocks with the painting GUI
    # thread (seen in the suite); the window turns automatic collection off and collects itself.
    import gc
    import threading

    window, controller = app
    assert not gc.isenabled()
    threads = []

    def record(phase, info):
        if phase == "start":
            threads.append(threading.get_ident())

    gc.callbacks.append(record)
    try:
        result = run_source(qtbot, window, controller,
                            "for i in range(20000):\n    a = [i]\n    a.append(a)\n")
        assert result.status == "finished"
        qtbot.waitUntil(lambda: bool(threads), timeout=5000)  # the timer collected the cycles
    finally:
        gc.callbacks.remove(record)
    assert set(threads) == {threading.main_thread().ident}
