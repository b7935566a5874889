"""Big graphs in the graph view: collapsed groups drawn as boxes (double-click opens and
closes), tooltips built on hover only, and debugger stops through a 1,000-node graph that
update the drawing in place (rebuilds are counted, not timed)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSceneHoverEvent

from desktop.debugger import DebugSession
from desktop.graph_groups import OpInfo, find_groups
from desktop.model import GraphEdge, GraphNode, GraphSnapshot, NodeKind
from desktop.ui import graph_items
from desktop.ui.graph_items import EdgeItem, GroupFrame, GroupItem, NodeItem
from desktop.ui.graph_view import GraphView
from shared_scripts import SEQUENTIAL_LOOP as MODULES

BIG = """\
import torch
torch.manual_seed(0)
w = torch.randn(4, 4, requires_grad=True)
h = torch.randn(2, 4)
for i in range(250):
    h = torch.tanh(h @ w) + h * 0.5
loss = h.pow(2).mean()
loss.backward()
e = 5
"""
BACKWARD_LINE = 8


def grouped_chain(n_iters):
    ops = [OpInfo(10 + i, 5, "MulBackward0" if i % 2 == 0 else "AddBackward0")
           for i in range(2 * n_iters)]
    ids = [o.id for o in ops]
    nodes = [GraphNode(1, NodeKind.LEAF_GRAD, "AccumulateGrad", "w", (2,), None)]
    nodes += [GraphNode(o.id, NodeKind.OP, o.op, "", (2,), 5) for o in ops]
    nodes.append(GraphNode(2, NodeKind.OP, "SumBackward0", "loss", (), 6))
    edges = [GraphEdge(1, i) for i in ids[::2]]
    edges += [GraphEdge(a, b) for a, b in zip(ids, ids[1:], strict=False)]
    edges.append(GraphEdge(ids[-1], 2))
    groups = find_groups(ops, [(e.src, e.dst) for e in edges])
    return GraphSnapshot(tuple(nodes), tuple(edges), "", frozenset(), groups)


def make_view(qtbot):
    view = GraphView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    return view


def show(qtbot, view, snapshot):
    view.set_snapshot(snapshot)
    qtbot.waitUntil(lambda: not view.laying_out, timeout=10000)


def double_click(qtbot, view, item, point=None):
    point = point or item.sceneBoundingRect().center()
    view.view.centerOn(point)
    pos = view.view.mapFromScene(point)
    qtbot.mouseDClick(view.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_a_big_graph_opens_as_a_few_boxes_and_double_click_opens_and_closes_a_group(qtbot):
    view = make_view(qtbot)
    snap = grouped_chain(400)  # 802 nodes
    show(qtbot, view, snap)
    assert len(view.node_items) <= 50
    assert "802 nodes, drawn as" in view.note.text()
    assert {1, 2} <= view.node_items.keys()  # w and the loss as themselves
    (loop,) = [g for g in snap.groups if g.parent is None]
    frame = next(f for f in view.frames if f.group.key == loop.key)  # opened by default
    rect = frame.sceneBoundingRect()  # its left margin, beside the boxes it frames
    double_click(qtbot, view, frame, rect.topLeft() + QPointF(5, rect.height() / 2))
    qtbot.waitUntil(lambda: not view.laying_out, timeout=10000)
    boxes = [it for it in view.node_items.values() if isinstance(it, GroupItem)]
    assert len(view.node_items) == 3 and [b.group.key for b in boxes] == [loop.key]
    assert boxes[0].lines == ["loop line 5 ×400", "loop · 800 nodes", "▸ double-click to open"]
    view.select_node(10)  # a node inside: its box is selected and described
    assert view.selected_id() == boxes[0].node.id
    assert "MulBackward0 ×400" in view.detail.toPlainText()
    double_click(qtbot, view, boxes[0])
    qtbot.waitUntil(lambda: not view.laying_out, timeout=10000)
    assert len(view.node_items) > 3
    assert any(f.group.key == loop.key for f in view.frames)


def test_tooltips_are_built_on_hover_only(qtbot, monkeypatch):
    calls = []
    real = graph_items.long_array
    monkeypatch.setattr(graph_items, "long_array", lambda a: calls.append(1) or real(a))
    import numpy as np

    a = GraphNode(1, NodeKind.LEAF_GRAD, "AccumulateGrad", "w", (3,), None,
                  value=np.ones(3), grad=np.arange(3.0))
    b = GraphNode(2, NodeKind.OP, "SumBackward0", "loss", (), None, value=np.array(3.0))
    view = make_view(qtbot)
    view.set_snapshot(GraphSnapshot((a, b), (GraphEdge(1, 2, np.arange(3.0) + 0.5),)))
    edge = view.edge_items[0]
    node = view.node_items[1]
    assert calls == []  # no grad formatted up front
    assert QGraphicsItem.toolTip(edge) == "" and QGraphicsItem.toolTip(node) == ""
    for item in (node, edge):  # the pointer enters the item (as Qt's hover delivers it)
        enter = QGraphicsSceneHoverEvent(QEvent.Type.GraphicsSceneHoverEnter)
        enter.setScenePos(item.sceneBoundingRect().center())
        view.scene.sendEvent(item, enter)
        assert QGraphicsItem.toolTip(item) != ""
    assert "grad that flowed back" in QGraphicsItem.toolTip(edge) and calls
    assert "w · AccumulateGrad" in QGraphicsItem.toolTip(node)
    assert edge.toolTip() == QGraphicsItem.toolTip(edge)  # the Python side says the same


@pytest.fixture(scope="module")
def backward_states():
    s = DebugSession(BIG)
    s.set_breakpoint(BACKWARD_LINE)
    s.continue_()
    states = [s.wait_stop(60)]
    s.step_into()
    states.append(s.wait_stop(60))
    while states[-1].kind == "backward" and len(states) < 25:
        s.step_over()
        states.append(s.wait_stop(60))
    s.stop()
    s.wait(10)
    return states


def test_backward_steps_and_step_back_through_1000_nodes_update_in_place(
        qtbot, settings, backward_states, monkeypatch):
    from desktop.ui.debug_wiring import attach_debugger
    from desktop.ui.main_window import MainWindow

    states = backward_states
    assert len(states[0].graph.nodes) > 1000 and states[0].graph.groups
    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    wiring = attach_debugger(w)
    gv = w.graph_view
    wiring.show_state(states[0])
    qtbot.waitUntil(lambda: not gv.laying_out, timeout=10000)
    assert len(gv.node_items) <= 50
    rebuilds, made = [], []
    monkeypatch.setattr(gv, "_clear_scene", lambda real=gv._clear_scene: (
        rebuilds.append(1), real())[1])
    real_init = NodeItem.__init__
    monkeypatch.setattr(NodeItem, "__init__",
                        lambda self, *a, **k: (made.append(1), real_init(self, *a, **k))[1])
    steps = [s for s in states if s.kind == "backward"]
    assert len(steps) >= 20
    for state in [*steps, *reversed(steps)]:  # forward through the pass, then step back
        made.clear()
        wiring.show_state(state)
        assert not gv.laying_out
        assert len(made) <= 2  # the box of the node that ran (and of its leaf)
        ran = gv.node_items[gv.drawn_id(state.backward.node)]
        assert ran.highlighted and ran.isSelected()
    assert rebuilds == []  # never the whole scene again
    assert all(isinstance(i, (NodeItem, EdgeItem, GroupFrame)) or i.parentItem() is not None
               for i in gv.scene.items())


def test_zoomed_out_group_boxes_say_a_short_name():
    from desktop.ui.graph_items import short_title

    assert short_title("iteration 7 of 40") == "#7"
    assert short_title("call 3 of 9") == "#3"
    assert short_title("iterations 1–10") == "#1–10"
    assert short_title("loop line 5 ×40") == "loop ×40"
    assert short_title("cell() ×249 calls") == "cell() ×249 calls"
    assert short_title("model.0 (Linear)") == "model.0"
    assert short_title("deep() · line 5") == "deep()"


def test_find_reaches_a_node_inside_a_collapsed_group_through_its_box(qtbot):
    view = make_view(qtbot)
    snap = grouped_chain(400)
    show(qtbot, view, snap)
    (loop,) = [g for g in snap.groups if g.parent is None]
    view.set_group_open(loop.key, False)
    qtbot.waitUntil(lambda: not view.laying_out, timeout=10000)
    assert view.find_node("mulbackward") == view.drawn_id(10) < 0  # the loop's box
    assert "loop line 5 ×400" in view.detail.toPlainText()
    assert view.find_node("sumbackward") == 2  # drawn as itself
    assert view.find_node("nothing like it") is None


def test_an_open_groups_frame_in_the_scene_covers_only_its_own_boxes(qtbot):
    from desktop.runner import run_script

    from desktop.layout import layout

    graph = run_script(MODULES).graph
    view = make_view(qtbot)
    view.set_layout_fn(layout)  # the app's layout (box sizes known)
    top = {g.key for g in graph.groups if g.parent is None}
    for g in graph.groups:  # two levels open: a module call's boxes beside the loop's
        if g.parent is None or g.parent in top:
            view.groups.set_open(g.key, True)
    show(qtbot, view, graph)
    assert len(view.frames) > 5
    for frame in view.frames:
        members = {view.drawn_id(m) for m in frame.group.members}
        rect = frame.sceneBoundingRect()
        strangers = [i for i, item in view.node_items.items()
                     if i not in members and rect.intersects(item.sceneBoundingRect())]
        assert not strangers, f"{frame.group.title} covers {strangers}"
