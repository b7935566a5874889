"""A small drawing is laid out on the GUI thread once the layout function is warm: starting a
worker and handing its result back cost more than the layout itself. Until then, and for bigger
drawings, the layout runs in a worker as before."""

from __future__ import annotations

import threading

from conftest import linear_graph

from desktop.model import GraphEdge, GraphNode, GraphSnapshot, NodeKind
from desktop.ui.graph_view import WARM_SYNC_NODES, GraphView
from desktop.ui.simple_layout import layered_layout


def chain(n: int) -> GraphSnapshot:
    nodes = tuple(GraphNode(id=i, kind=NodeKind.OP, op="AddBackward0", label="", shape=(2,),
                            line=None) for i in range(n))
    return GraphSnapshot(nodes, tuple(GraphEdge(i, i + 1) for i in range(n - 1)))


def make_view(qtbot, warm):
    threads = []

    def layout(snapshot):  # records where it ran
        threads.append(threading.current_thread())
        return layered_layout(snapshot)

    view = GraphView()
    qtbot.addWidget(view)
    view.set_layout_fn(layout, sync_max=0, warm=warm)
    threads.clear()
    return view, threads


def wait_drawn(qtbot, view):
    qtbot.waitUntil(lambda: not view.laying_out, timeout=10000)
    qtbot.waitUntil(lambda: not any(t.name == "graph-layout" for t in threading.enumerate()),
                    timeout=10000)


def test_a_small_drawing_is_laid_out_at_once_when_the_layout_is_warm(qtbot):
    view, threads = make_view(qtbot, warm=lambda: True)
    snap = linear_graph()  # 10 boxes
    assert len(snap.nodes) <= WARM_SYNC_NODES
    view.set_snapshot(snap)
    assert not view.laying_out  # drawn before set_snapshot returned
    assert set(view.node_items) == {n.id for n in snap.nodes}
    assert threads == [threading.current_thread()]


def test_a_cold_layout_still_runs_in_a_worker(qtbot):
    view, threads = make_view(qtbot, warm=lambda: False)
    view.set_snapshot(linear_graph())
    assert view.laying_out
    wait_drawn(qtbot, view)
    assert len(view.node_items) == 10
    assert threads and threads[0] is not threading.current_thread()


def test_a_drawing_past_the_small_size_runs_in_a_worker_even_when_warm(qtbot):
    view, threads = make_view(qtbot, warm=lambda: True)
    view.set_snapshot(chain(WARM_SYNC_NODES))  # at the limit: here
    assert not view.laying_out and len(view.node_items) == WARM_SYNC_NODES
    view.set_snapshot(chain(WARM_SYNC_NODES + 1))
    assert view.laying_out
    wait_drawn(qtbot, view)
    assert len(view.node_items) == WARM_SYNC_NODES + 1
    assert threads[0] is threading.current_thread() and threads[1] is not threads[0]


def test_without_warm_the_view_keeps_its_sync_max(qtbot):
    view, _ = make_view(qtbot, warm=None)
    view.set_snapshot(linear_graph())
    assert view.laying_out  # sync_max=0: always a worker
    wait_drawn(qtbot, view)
    assert view.lays_out_here(0) and not view.lays_out_here(1)


def test_the_apps_layout_is_warm_once_grandalf_is_imported():
    import grandalf.layouts  # noqa: F401  (what the app's start-up warm-up imports)

    from desktop.layout import warm

    assert warm()
