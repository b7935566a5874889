import numpy as np
import pytest
from conftest import ADD, MEAN, MM, X_, W, linear_graph
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QGraphicsTextItem

from desktop.model import GraphEdge, GraphNode, GraphSnapshot, NodeKind
from desktop.ui.graph_items import EdgeItem, NodeItem, node_fill
from desktop.ui.graph_view import (
    ASYNC_NODES,
    MAX_NODES,
    OUTPUT_END_SCALE,
    READABLE_SCALE,
    GraphView,
    nearest_outputs,
)
from desktop.ui.simple_layout import layered_layout
from desktop.ui.theme import DARK, LIGHT


def make_view(qtbot, snapshot=None, **kw):
    view = GraphView(**kw)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    if snapshot is not None:
        view.set_snapshot(snapshot)
    return view


def test_one_item_per_node_with_labels(qtbot):
    snap = linear_graph()
    view = make_view(qtbot, snap)
    nodes = [i for i in view.scene.items() if isinstance(i, NodeItem)]
    edges = [i for i in view.scene.items() if isinstance(i, EdgeItem)]
    assert len(nodes) == len(snap.nodes) == 10
    assert len(edges) == len(snap.edges)
    assert view.node_items[W].lines == ["w", "AccumulateGrad", "[1, 1]"]
    assert view.node_items[MEAN].lines == ["loss", "MeanBackward0", "scalar"]
    assert view.node_items[MM].lines == ["MmBackward0", "[5, 1]"]  # no variable name known


def test_click_on_node_emits_its_id_and_fills_detail(qtbot):
    view = make_view(qtbot, linear_graph())
    item = view.node_items[ADD]
    pos = view.view.mapFromScene(item.scenePos())
    with qtbot.waitSignal(view.node_selected, timeout=2000) as blocker:
        qtbot.mouseClick(view.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [ADD]
    text = view.detail.toPlainText()
    assert "AddBackward0" in text and "Y_hat" in text and "MmBackward0" in text


def test_edges_carry_grad_after_backward(qtbot):
    view = make_view(qtbot, linear_graph())
    labelled = {(e.edge.src, e.edge.dst): e.grad_label.text()
                for e in view.edge_items if e.grad_label is not None}
    assert labelled[(W, 5)] == "-38.4"
    assert (X_, MM) not in labelled  # constants receive no grad
    tip = next(e for e in view.edge_items if (e.edge.src, e.edge.dst) == (W, 5)).toolTip()
    assert "grad" in tip and "-38.4" in tip


def test_freed_and_highlight_styles(qtbot):
    view = make_view(qtbot, linear_graph(freed=True, highlight={ADD}))
    assert view.node_items[ADD].highlighted
    assert not view.node_items[MEAN].highlighted
    assert view.node_items[MM].node.freed
    assert "(freed)" in view.node_items[MM].lines[-2]
    assert not view.node_items[W].node.freed  # leaves are never freed


def test_find_node_by_name_and_op(qtbot):
    view = make_view(qtbot, linear_graph())
    with qtbot.waitSignal(view.node_selected) as blocker:
        assert view.find_node("loss") == MEAN
    assert blocker.args == [MEAN]
    assert view.selected_id() == MEAN
    assert view.find_node("mmbackward") == MM
    assert view.find_node("nothing-like-this") is None


def test_layout_fn_hook_is_used(qtbot):
    calls = []

    def layout(snapshot):
        calls.append(len(snapshot.nodes))
        return {n.id: (100.0 * k, 0.0) for k, n in enumerate(snapshot.nodes)}

    view = make_view(qtbot, linear_graph(), layout_fn=layout)
    assert calls == [10]
    assert view.node_items[W].pos().x() == 0.0
    assert view.node_items[MEAN].pos().x() == 900.0


def test_fallback_layout_puts_outputs_below_inputs():
    pos = layered_layout(linear_graph())
    assert pos[MEAN][1] > pos[ADD][1] > pos[MM][1] > pos[W][1]
    assert len({p for p in pos.values()}) == len(pos)  # no two boxes on the same spot


def test_huge_graph_draws_the_part_nearest_its_output_with_a_note(qtbot):
    n = MAX_NODES + 50
    view = make_view(qtbot)
    with qtbot.waitSignal(view.layout_done, timeout=10000):
        view.set_snapshot(chain(n))  # v0 -> v1 -> ... -> v449, the output
    assert len(view.node_items) == MAX_NODES
    assert n - 1 in view.node_items and 0 not in view.node_items
    assert len(view.edge_items) == MAX_NODES - 1
    assert f"{n} nodes" in view.note.text() and f"{MAX_NODES} nearest" in view.note.text()
    assert view.snapshot.nodes[0].id == 0  # the full graph is kept for the detail pane


def test_nearest_outputs_follows_every_branch_back_from_the_outputs():
    # two outputs (5, 6); 5 <- 3 <- 1 <- 0, 6 <- 4 <- 2 <- 0
    nodes = tuple(GraphNode(i, NodeKind.OP, "AddBackward0", "", (), None) for i in range(7))
    edges = tuple(GraphEdge(a, b) for a, b in ((0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6)))
    kept = nearest_outputs(GraphSnapshot(nodes, edges), 4)
    assert {nd.id for nd in kept.nodes} == {3, 4, 5, 6}
    assert {(e.src, e.dst) for e in kept.edges} == {(3, 5), (4, 6)}


def test_deep_graph_opens_readable_at_its_output_and_fit_shows_it_all(qtbot):
    view = make_view(qtbot)
    with qtbot.waitSignal(view.layout_done, timeout=10000):
        view.set_snapshot(chain(ASYNC_NODES + 50))  # a tall column: fitting makes a hairline
    assert view.view.transform().m11() == pytest.approx(OUTPUT_END_SCALE)
    output = view.node_items[ASYNC_NODES + 49]
    visible = view.view.mapToScene(view.view.viewport().rect()).boundingRect()
    assert visible.contains(output.sceneBoundingRect())
    assert "output end" in view.note.text()
    view.fit()
    assert view.view.transform().m11() < READABLE_SCALE
    assert "output end" not in view.note.text()


def test_empty_hint_is_shown_at_full_size_after_a_zoomed_out_graph(qtbot):
    view = make_view(qtbot, linear_graph())
    view.view.zoom(0.1)
    view.set_snapshot(GraphSnapshot())
    assert view.view.transform().m11() == 1.0
    hint = next(i for i in view.scene.items() if isinstance(i, QGraphicsTextItem))
    assert "No graph yet" in hint.toPlainText()
    visible = view.view.mapToScene(view.view.viewport().rect()).boundingRect()
    assert visible.contains(hint.sceneBoundingRect())


def test_wheel_zooms_and_drag_pans(qtbot):
    view = make_view(qtbot, linear_graph())
    view.view.resetTransform()
    vp = view.view.viewport()
    centre = QPointF(vp.rect().center())

    def wheel(dy):
        ev = QWheelEvent(centre, vp.mapToGlobal(centre), QPoint(), QPoint(0, dy),
                         Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                         Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(vp, ev)

    wheel(120)
    assert view.view.transform().m11() == pytest.approx(1.15)
    wheel(-240)
    assert view.view.transform().m11() == pytest.approx(1.15 ** -1)
    view.view.zoom(4.0)  # big enough to scroll
    bar = view.view.verticalScrollBar()
    assert bar.maximum() > bar.minimum()
    before = bar.value()

    def mouse(kind, pos, buttons):
        ev = QMouseEvent(kind, pos, vp.mapToGlobal(pos), Qt.MouseButton.LeftButton, buttons,
                         Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(vp, ev)

    start = QPointF(20, 20)  # empty scene corner: a drag there pans instead of selecting
    mouse(QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton)
    mouse(QEvent.Type.MouseMove, start + QPointF(0, -80), Qt.MouseButton.LeftButton)
    mouse(QEvent.Type.MouseButtonRelease, start + QPointF(0, -80), Qt.MouseButton.NoButton)
    assert bar.value() != before


def test_node_styles_tell_the_kinds_apart_in_both_themes():
    def node(kind, freed=False):
        return GraphNode(1, kind, "x", "", (), None, freed=freed)

    for theme in (LIGHT, DARK):
        fills = {node_fill(theme, node(k)) for k in NodeKind} | {
            node_fill(theme, node(NodeKind.OP, freed=True))}
        assert len(fills) == len(NodeKind) + 1


def test_nan_and_inf_are_flagged_on_the_node(qtbot):
    bad = GraphNode(1, NodeKind.OP, "LogBackward0", "y", (3,), None,
                    value=np.array([0.0, np.nan, -np.inf]), grad=np.ones(3))
    good = GraphNode(2, NodeKind.OP, "SumBackward0", "loss", (), None, value=np.array(1.0))
    view = make_view(qtbot, GraphSnapshot((bad, good), (GraphEdge(1, 2),)))
    item = view.node_items[1]
    assert item.lines[-1].endswith("⚠ NaN/Inf")
    assert "NaN/Inf in value" in item.toolTip()
    assert "⚠" not in " ".join(view.node_items[2].lines)
    view.select_node(1)
    assert "NaN/Inf in value" in view.detail.toPlainText()


def test_empty_graph_and_cycle_do_not_crash(qtbot):
    view = make_view(qtbot, GraphSnapshot())
    assert view.node_items == {}
    nodes = tuple(GraphNode(i, NodeKind.OP, "X", "", (2,), None, value=np.ones(2))
                  for i in range(3))
    view.set_snapshot(GraphSnapshot(nodes, (GraphEdge(0, 1), GraphEdge(1, 2), GraphEdge(2, 0))))
    assert len(view.node_items) == 3


def test_export_png(qtbot, tmp_path):
    view = make_view(qtbot, linear_graph())
    out = tmp_path / "g.png"
    assert view.export_png(str(out))
    assert out.stat().st_size > 1000


def chain(n):
    nodes = tuple(GraphNode(i, NodeKind.OP, "AddBackward0", f"v{i}", (2,), None)
                  for i in range(n))
    return GraphSnapshot(nodes, tuple(GraphEdge(i, i + 1) for i in range(n - 1)))


def test_layout_fn_receives_box_sizes_when_it_asks(qtbot):
    seen = {}

    def layout(snapshot, sizes=None):
        seen.update(sizes)
        return {n.id: (0.0, 100.0 * n.id) for n in snapshot.nodes}

    view = make_view(qtbot, chain(3), layout_fn=layout)
    assert set(seen) == {0, 1, 2}
    w, h = seen[0]
    assert w >= 90 and h > 20
    assert view.node_items[2].pos().y() == 200.0


def test_big_graph_is_laid_out_off_the_gui_thread(qtbot):
    import threading

    threads = []

    def layout(snapshot):
        threads.append(threading.current_thread())
        return layered_layout(snapshot)

    view = make_view(qtbot, layout_fn=layout)
    with qtbot.waitSignal(view.layout_done, timeout=5000):
        view.set_snapshot(chain(ASYNC_NODES + 20))
    assert threads[-1] is not threading.main_thread()
    assert len(view.node_items) == ASYNC_NODES + 20
    assert len(view.edge_items) == ASYNC_NODES + 19
    assert "Laying out" not in view.note.text()


def test_stale_background_layout_is_dropped(qtbot):
    view = make_view(qtbot)
    view.set_snapshot(chain(ASYNC_NODES + 20))
    with qtbot.waitSignal(view.layout_done, timeout=5000):
        view.set_snapshot(linear_graph())  # small: laid out at once
    qtbot.wait(300)  # the big layout finishes meanwhile and must not replace the small graph
    assert len(view.node_items) == 10


def test_broken_layout_falls_back(qtbot):
    def layout(snapshot):
        raise ValueError("boom")

    view = make_view(qtbot, linear_graph(), layout_fn=layout)
    assert len(view.node_items) == 10


def test_an_edge_that_skips_layers_bows_around_the_boxes_between(qtbot):
    # x feeds 1 and 3; 1 -> 2 -> 3 is a column right below it: a straight x -> 3 would hide
    # behind that column
    nodes = tuple(GraphNode(i, NodeKind.OP, "AddBackward0", "", (), None) for i in range(4))
    edges = tuple(GraphEdge(a, b) for a, b in ((0, 1), (1, 2), (2, 3), (0, 3)))
    view = make_view(qtbot, GraphSnapshot(nodes, edges),
                     layout_fn=lambda snap: {i: (0.0, 120.0 * i) for i in range(4)})
    long = next(e for e in view.edge_items if (e.edge.src, e.edge.dst) == (0, 3))
    short = next(e for e in view.edge_items if (e.edge.src, e.edge.dst) == (0, 1))
    between = [view.node_items[i].sceneBoundingRect() for i in (1, 2)]
    samples = [long.path().pointAtPercent(t / 50) for t in range(45)]  # the curve, not the head
    assert not any(r.contains(p) for r in between for p in samples)
    assert max(p.x() for p in samples) > between[0].right()
    assert {round(p.x()) for p in (short.path().pointAtPercent(t / 10) for t in range(8))} == {0}


def test_a_very_long_edge_arrives_at_an_angle_not_along_the_column(qtbot):
    nodes = tuple(GraphNode(i, NodeKind.OP, "AddBackward0", "", (), None) for i in range(40))
    edges = (*(GraphEdge(i, i + 1) for i in range(39)), GraphEdge(0, 39))
    view = make_view(qtbot, GraphSnapshot(nodes, edges),
                     layout_fn=lambda snap: {i: (0.0, 120.0 * i) for i in range(40)})
    long = next(e for e in view.edge_items if (e.edge.src, e.edge.dst) == (0, 39))
    column = [view.node_items[i].sceneBoundingRect() for i in range(1, 39)]
    samples = [long.path().pointAtPercent(t / 400) for t in range(395)]
    assert not any(r.contains(p) for r in column for p in samples)


def test_a_debugger_step_that_grows_a_deep_graph_keeps_its_output_end_readable(qtbot):
    from desktop.ui.graph_patch import patch_graph

    view = make_view(qtbot, chain(ASYNC_NODES - 1))  # laid out at once; a step may relayout
    view.view.resetTransform()  # whatever the user had
    assert patch_graph(view, chain(ASYNC_NODES))  # a forward step added a node
    assert view.view.transform().m11() == pytest.approx(OUTPUT_END_SCALE)
    visible = view.view.mapToScene(view.view.viewport().rect()).boundingRect()
    assert visible.contains(view.node_items[ASYNC_NODES - 1].sceneBoundingRect())


def test_the_node_pane_lays_its_text_out_only_when_it_changes(qtbot):
    from desktop.ui.graph_view import NodeDetail

    pane = NodeDetail()
    qtbot.addWidget(pane)
    hint = pane.toPlainText()
    assert "Click a node" in hint
    layouts = []
    pane.document().contentsChanged.connect(lambda: layouts.append(1))
    pane.show_node(None, None)  # every Run resets the pane to its hint
    assert layouts == [] and pane.toPlainText() == hint
    graph = linear_graph()
    pane.show_node(next(n for n in graph.nodes if n.id == MM), graph)
    assert layouts and "MmBackward0" in pane.toPlainText()
    layouts.clear()
    pane.show_node(None, None)
    assert layouts and pane.toPlainText() == hint
