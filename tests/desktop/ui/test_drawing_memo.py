"""A drawing laid out lately is placed again at once, on the GUI thread, with the positions it
had: a script run again builds the same graph from new node objects (desktop.layout_memo)."""

from __future__ import annotations

import threading

from desktop.layout import layout as app_layout
from desktop.model import GraphEdge, GraphNode, GraphSnapshot, NodeKind
from desktop.ui.graph_view import WARM_SYNC_NODES, GraphView


def chain(n: int, first_id: int, op: str = "AddBackward0") -> GraphSnapshot:
    ids = range(first_id, first_id + n)
    nodes = tuple(GraphNode(id=i, kind=NodeKind.OP, op=op, label="", shape=(2,), line=None)
                  for i in ids)
    return GraphSnapshot(nodes, tuple(GraphEdge(i, i + 1) for i in ids[:-1]))


def make_view(qtbot):
    calls = []

    def layout(snapshot, sizes=None):  # the app's, counted
        calls.append(threading.current_thread())
        return app_layout(snapshot, sizes=sizes, use_grandalf=False)

    view = GraphView()
    qtbot.addWidget(view)
    view.set_layout_fn(layout, sync_max=0)  # every new drawing in a worker
    calls.clear()
    return view, calls


def drawn(qtbot, view):
    qtbot.waitUntil(lambda: not view.laying_out, timeout=10000)
    return [view.node_items[n.id].pos() for n in view.drawn.nodes]


def test_the_same_shape_with_new_ids_is_placed_at_once_where_it_was(qtbot):
    view, calls = make_view(qtbot)
    n = WARM_SYNC_NODES + 8  # past what is ever laid out on the GUI thread
    view.set_snapshot(chain(n, 1))
    assert view.laying_out
    first = drawn(qtbot, view)
    assert len(calls) == 1 and calls[0] is not threading.current_thread()
    again = chain(n, 1000)
    view.set_snapshot(again)
    assert not view.laying_out  # placed before set_snapshot returned, no worker
    assert set(view.node_items) == {node.id for node in again.nodes}
    assert [view.node_items[node.id].pos() for node in again.nodes] == first
    assert len(calls) == 1


def test_another_shape_or_layout_function_is_laid_out_anew(qtbot):
    view, calls = make_view(qtbot)
    n = WARM_SYNC_NODES + 8
    view.set_snapshot(chain(n, 1))
    drawn(qtbot, view)
    view.set_snapshot(chain(n, 1000, op="MulBackward0"))  # other ops: other box sizes
    assert view.laying_out
    drawn(qtbot, view)
    view.set_snapshot(chain(n + 1, 5000))
    assert view.laying_out
    drawn(qtbot, view)
    assert len(calls) == 3
    view.set_layout_fn(view.layout_fn, sync_max=0)  # a new layout function forgets them
    drawn(qtbot, view)  # set_layout_fn drew the current snapshot again
    qtbot.waitUntil(lambda: not any(t.name == "graph-layout" for t in threading.enumerate()),
                    timeout=10000)
    calls.clear()
    view.set_snapshot(chain(n, 9000))
    assert view.laying_out
    drawn(qtbot, view)
    assert len(calls) == 1
