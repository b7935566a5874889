"""Selecting in one view selects in the others, with the real node ids of a run (Python id()
values, far beyond a C int): graph node -> editor line and inspector row; inspector row ->
graph node and line; a node named in the Backward step panel -> that graph node."""

from __future__ import annotations

import pytest
from integration_helpers import SEED
from PySide6.QtCore import Qt, QUrl

from desktop.app import wire
from desktop.model import NodeKind
from desktop.ui.backward_step_panel import NODE_LINK
from desktop.ui.main_window import MainWindow


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
    w.editor.setPlainText(SEED)
    yield w
    w.controller.shutdown()
    w.debugger.bridge.shutdown()


def _line_of(text: str, needle: str) -> int:
    return next(i for i, t in enumerate(text.splitlines(), 1) if needle in t)


def test_clicking_a_node_selects_its_line_and_inspector_row(win, qtbot):
    with qtbot.waitSignal(win.controller.run_finished, timeout=20000):
        win.act_run.trigger()
    qtbot.waitUntil(lambda: not win.graph_view.laying_out, timeout=20000)  # in a worker
    gv = win.graph_view
    w_node = next(it for it in gv.node_items.values()
                  if it.node.label == "w" and it.node.kind == NodeKind.LEAF_GRAD)
    assert w_node.node.id > 2**31  # a real id(): the old Signal(int) overflowed on it
    gv.view.centerOn(w_node)
    pos = gv.view.mapFromScene(w_node.scenePos())
    with qtbot.waitSignal(gv.node_selected, timeout=2000) as blocker:
        qtbot.mouseClick(gv.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [w_node.node.id]
    assert win.inspector.selected_name() == "w"
    cursor = win.editor.textCursor()
    # a leaf has no op line: the line that assigns it
    assert cursor.blockNumber() + 1 == _line_of(SEED, "w = ")
    assert cursor.selectedText().startswith("w = ")


def test_selecting_an_inspector_row_selects_its_node_and_line(win, qtbot):
    with qtbot.waitSignal(win.controller.run_finished, timeout=20000):
        win.act_run.trigger()
    qtbot.waitUntil(lambda: not win.graph_view.laying_out, timeout=20000)  # in a worker
    gv = win.graph_view
    assert win.inspector.select("loss")
    node = gv.node_items[gv.selected_id()].node
    assert node.label == "loss" and node.op == "MeanBackward0"
    assert win.editor.textCursor().blockNumber() + 1 == node.line
    visible = gv.view.mapToScene(gv.view.viewport().rect()).boundingRect()
    assert visible.intersects(gv.node_items[node.id].sceneBoundingRect())
    assert win.inspector.select("b")
    assert gv.node_items[gv.selected_id()].node.kind == NodeKind.LEAF_GRAD


def test_a_node_named_in_the_backward_step_panel_selects_it_in_the_graph(win, qtbot):
    dbg = win.debugger
    win.editor.set_breakpoints({_line_of(SEED, "backward()")})
    with qtbot.waitSignal(dbg.bridge.paused, timeout=20000):
        dbg.run_or_continue()
    with qtbot.waitSignal(dbg.bridge.paused, timeout=20000):
        dbg.controls.actions_by_key["step_into"].trigger()
    qtbot.waitUntil(lambda: not win.graph_view.laying_out, timeout=20000)  # in a worker
    state = dbg.state
    assert state.kind == "backward"
    target = next(f.target for f in state.backward.flows if f.target is not None)
    assert f"{NODE_LINK}{target}" in dbg.panel.browser.toHtml()
    dbg.panel.browser.anchorClicked.emit(QUrl(f"{NODE_LINK}{target}"))
    assert win.graph_view.selected_id() == target
    node = win.graph_view.node_items[target].node
    if node.line is not None:
        assert win.editor.textCursor().blockNumber() + 1 == node.line
    dbg.bridge.stop()
