"""GraphView's seam for in-place updates (what ``graph_patch`` uses instead of its private
fields): ``adopt`` makes a late background layout of an older snapshot harmless, and a patch
replaces the boxes and arrows of the changed nodes only (counted, not timed)."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
from conftest import ADD, MEAN, POW, SUB, linear_graph

from desktop.ui.graph_patch import patch_graph
from desktop.ui.graph_view import GraphView
from desktop.ui.simple_layout import layered_layout


def test_adopt_drops_a_late_layout_of_an_older_snapshot(qtbot):
    release = threading.Event()

    def slow_layout(snapshot):  # held in its worker until the test lets it go
        release.wait(10)
        return layered_layout(snapshot)

    view = GraphView()
    qtbot.addWidget(view)
    first = linear_graph()
    view.set_snapshot(first)
    items = dict(view.node_items)
    view.set_layout_fn(slow_layout, sync_max=0)  # lays out `first` again, in a worker
    assert view.laying_out
    view.adopt(first, view.drawn, items, list(view.edge_items))
    assert not view.laying_out
    release.set()
    qtbot.wait(200)  # the worker's result arrives (queued) and is dropped
    qtbot.waitUntil(lambda: not any(t.name == "graph-layout" for t in threading.enumerate()),
                    timeout=10000)
    qtbot.wait(50)
    assert view.node_items == items and view.snapshot is first


def test_notes_are_read_and_shown_through_the_seam(qtbot):
    view = GraphView()
    qtbot.addWidget(view)
    view.set_snapshot(dataclasses.replace(linear_graph(), note="graph capped at 5 nodes"))
    assert view.notes == ["graph capped at 5 nodes"]
    view.show_notes(["another"])
    assert view.notes == ["another"] and view.note.text() == "another"
    positions = view.layout_positions(view.drawn, {i: (80.0, 40.0) for i in view.node_items})
    assert set(positions) == set(view.node_items)


def test_a_patch_replaces_only_the_changed_node_and_its_arrows(qtbot):
    view = GraphView()
    qtbot.addWidget(view)
    old = linear_graph(highlight=frozenset({MEAN}))
    view.set_snapshot(old)
    before_nodes, before_edges = dict(view.node_items), list(view.edge_items)
    # a backward step: PowBackward0 ran, its grad and the grad on its input's edge changed
    nodes = tuple(dataclasses.replace(n, grad=np.full((5, 1), 7.0, np.float32))
                  if n.id == POW else n for n in old.nodes)
    edges = tuple(dataclasses.replace(e, grad=np.full((5, 1), 3.0, np.float32))
                  if (e.src, e.dst) == (SUB, POW) else e for e in old.edges)
    new = dataclasses.replace(old, nodes=nodes, edges=edges, highlight=frozenset({POW}))
    assert patch_graph(view, new)
    replaced = {i for i, it in view.node_items.items() if it is not before_nodes[i]}
    assert replaced == {POW}
    redrawn = [e.edge for e in view.edge_items if e not in before_edges]
    # the changed edge, and the two arrows into and out of the new POW box
    assert {(e.src, e.dst) for e in redrawn} == {(SUB, POW), (POW, MEAN)}
    assert view.node_items[POW].highlighted and not view.node_items[MEAN].highlighted
    assert view.node_items[ADD] is before_nodes[ADD] and view.snapshot is new
