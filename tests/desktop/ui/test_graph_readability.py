"""Graph view readability: label sizes at the default zoom, level of detail when zoomed out,
Fit's lower bound, the view following a node walked backward, Find zooming to its hit."""

import pytest

from desktop.model import GraphEdge, GraphNode, GraphSnapshot, NodeKind
from desktop.ui.graph_items import LOD_SCALE, MIN_SCREEN_PX, NodeItem
from desktop.ui.graph_view import FIT_MIN_SCALE, READABLE_SCALE, GraphView


def make_view(qtbot):
    view = GraphView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    return view


def chain(n):
    nodes = tuple(GraphNode(i, NodeKind.OP, "AddBackward0", f"v{i}", (2,), None)
                  for i in range(n))
    return GraphSnapshot(nodes, tuple(GraphEdge(i, i + 1) for i in range(n - 1)))


def mlp_like(n):
    """Leaves feeding a column of ops two at a time: wide and deep, like a small MLP's graph."""
    nodes, edges = [], []
    for i in range(n):
        leaf = i % 3 == 0
        kind = NodeKind.LEAF_GRAD if leaf else NodeKind.OP
        op = "AccumulateGrad" if leaf else ("MmBackward0" if i % 3 == 1 else "TanhBackward0")
        nodes.append(GraphNode(i, kind, op, f"t{i}", (4, 8), None))
        if i:
            edges.append(GraphEdge(i - 1 if not leaf else i, i if not leaf else i + 1))
    edges = [e for e in edges if e.dst < n and e.src != e.dst]
    return GraphSnapshot(tuple(nodes), tuple(edges))


def visible_rect(view):
    return view.view.mapToScene(view.view.viewport().rect()).boundingRect()


def smallest_screen_px(view) -> float:
    """The smallest text of any box on screen, in pixels: font pixel size × view scale (no
    dependence on the installed fonts' metrics)."""
    scale = view.view.transform().m11()
    sizes = [f.pixelSize() for it in view.node_items.values()
             for f in [*it._fonts, it.small]]
    return min(sizes) * scale


@pytest.mark.parametrize("n", [2, 10, 25, 50])
@pytest.mark.parametrize("shape", [chain, mlp_like])
def test_labels_are_at_least_11_px_at_the_default_zoom_up_to_50_nodes(qtbot, n, shape):
    view = make_view(qtbot)
    view.set_snapshot(shape(n))
    assert len(view.node_items) == n
    assert smallest_screen_px(view) >= MIN_SCREEN_PX
    assert view.view.transform().m11() >= LOD_SCALE  # full boxes, not the zoomed-out shapes
    # and at least one box is fully in view (a readable scale showing nothing would be useless)
    assert any(visible_rect(view).contains(it.sceneBoundingRect())
               for it in view.node_items.values())


class PaintSpy:
    def __init__(self, monkeypatch):
        self.name_only, self.rows = [], []
        real_name_only, real_row = NodeItem._paint_name_only, NodeItem._text_row

        def name_only(item, p, scale):
            real_name_only(item, p, scale)  # it sets the font it drew with
            self.name_only.append((item.node.id, p.font().pixelSize() * scale))

        def row(item, p, font, text, y):
            self.rows.append(item.node.id)
            return real_row(item, p, font, text, y)

        monkeypatch.setattr(NodeItem, "_paint_name_only", name_only)
        monkeypatch.setattr(NodeItem, "_text_row", row)

    def clear(self):
        self.name_only.clear()
        self.rows.clear()


def test_zoomed_out_boxes_show_their_name_only_in_readable_type(qtbot, monkeypatch):
    spy = PaintSpy(monkeypatch)
    view = make_view(qtbot)
    view.set_snapshot(chain(12))
    view.view.viewport().grab()  # paint at the default zoom: full boxes
    assert spy.rows and not spy.name_only
    view.view.resetTransform()
    view.view.scale(0.3, 0.3)
    spy.clear()
    view.view.viewport().grab()
    assert {i for i, _ in spy.name_only} == set(view.node_items)  # all twelve are in view
    assert not spy.rows  # no op, shape or value rows at this zoom
    # the name keeps MIN_SCREEN_PX on screen where the box is tall enough to hold it
    box_px = min(it.rect.height() for it in view.node_items.values()) * 0.8 * 0.3
    for _, px in spy.name_only:
        assert px >= min(MIN_SCREEN_PX, box_px) - 1
    view.view.resetTransform()  # back in: details again
    spy.clear()
    view.view.viewport().grab()
    assert spy.rows and not spy.name_only


def test_fit_never_zooms_out_below_its_minimum_scale(qtbot):
    view = make_view(qtbot)
    with qtbot.waitSignal(view.layout_done, timeout=20000):
        view.set_snapshot(chain(300))  # a column 300 boxes tall: fitting it would be a hairline
    view.fit()
    assert view.view.transform().m11() == pytest.approx(FIT_MIN_SCALE)
    view.view.zoom(0.2)  # the user zoomed far out; Fit comes back to the bound, not below
    assert view.view.transform().m11() < FIT_MIN_SCALE
    view.fit()
    assert view.view.transform().m11() == pytest.approx(FIT_MIN_SCALE)
    view.set_snapshot(chain(2))  # a tiny graph does not fill the screen either
    view.fit()
    assert FIT_MIN_SCALE <= view.view.transform().m11() <= 1.5


def test_the_view_follows_a_node_walked_backward_through_a_big_graph(qtbot):
    view = make_view(qtbot)
    with qtbot.waitSignal(view.layout_done, timeout=20000):
        view.set_snapshot(chain(300))
    view.fit()  # whatever the user had: zoomed out below a readable scale
    moves = 0
    # the backward pass runs from the output (299) to the first node, as the debugger steps it
    for node in range(299, -1, -23):
        moves += view.reveal(node, zoom=True)  # what the debugger does at each backward stop
        assert view.view.transform().m11() >= READABLE_SCALE
        assert visible_rect(view).contains(view.node_items[node].sceneBoundingRect()), node
    assert moves >= 10  # it scrolled along, not once
    # a node already in view does not move the view (no jumping while stepping nearby)
    assert not view.reveal(0, zoom=True)


def test_find_zooms_to_its_hit(qtbot):
    view = make_view(qtbot)
    with qtbot.waitSignal(view.layout_done, timeout=20000):
        view.set_snapshot(chain(300))
    view.fit()
    assert view.view.transform().m11() < READABLE_SCALE
    with qtbot.waitSignal(view.node_selected) as hit:
        assert view.find_node("v7") == 7
    assert hit.args == [7]
    assert view.node_items[7].isSelected()
    assert view.view.transform().m11() >= READABLE_SCALE
    assert visible_rect(view).contains(view.node_items[7].sceneBoundingRect())
    assert smallest_screen_px(view) >= MIN_SCREEN_PX
    # the next hit of a partial match is brought into view too, far down the column
    assert view.find_node("v29") == 29
    assert view.find_node("v29") in {290, 291, 292, 293, 294, 295, 296, 297, 298, 299}
    hit_id = view.selected_id()
    assert visible_rect(view).contains(view.node_items[hit_id].sceneBoundingRect())
    assert view.find_node("nothing like it") is None


DEEP = """\
import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = x
for _ in range(120):
    y = y * 1.01 + 0.1
loss = y.sum()
loss.backward()
print(x.grad)
"""


def test_stepping_backward_through_a_deep_graph_keeps_the_running_node_in_view(qtbot,
                                                                                settings):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QTextCursor

    from desktop.ui.debug_wiring import attach_debugger
    from desktop.ui.main_window import MainWindow

    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    wiring = attach_debugger(w)
    w.resize(1300, 850)
    with qtbot.waitExposed(w):
        w.show()
    w.editor.setPlainText(DEEP)
    try:
        def press(key, modifier=Qt.KeyboardModifier.NoModifier):
            with qtbot.waitSignal(wiring.bridge.paused, timeout=20000) as blocker:
                qtbot.keyClick(w.windowHandle(), key, modifier)
            return blocker.args[0]

        assert press(Qt.Key.Key_F11).line == 1
        cur = w.editor.textCursor()
        cur.movePosition(QTextCursor.MoveOperation.Start)
        cur.movePosition(QTextCursor.MoveOperation.Down, n=6)  # line 7: loss.backward()
        w.editor.setTextCursor(cur)
        assert press(Qt.Key.Key_F10, Qt.KeyboardModifier.ControlModifier).line == 7
        gv = w.graph_view
        seen = []
        state = press(Qt.Key.Key_F11)
        while state.kind == "backward" and len(seen) < 40:
            ran = state.backward.node
            # the running node's box: its own, or its collapsed group's (240 nodes > 200)
            qtbot.waitUntil(lambda ran=ran: gv.drawn_id(ran) in gv.node_items, timeout=20000)
            seen.append(ran)
            item = gv.node_items[gv.drawn_id(ran)]
            assert item.highlighted
            assert gv.view.transform().m11() >= READABLE_SCALE
            assert visible_rect(gv).contains(item.sceneBoundingRect()), len(seen)
            state = press(Qt.Key.Key_F11)
        assert len(set(seen)) >= 30  # it walked a long way up the 240-node column
    finally:
        wiring.bridge.shutdown()
        w.editor.document().setModified(False)
