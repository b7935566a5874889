"""An open group's frame holds its own boxes only: the layout keeps each open group's boxes
together (checked on the layout's coordinates, no window)."""

from __future__ import annotations

import pytest

from desktop.frame_layout import (FRAME_BOTTOM, FRAME_LEFT, FRAME_RIGHT, FRAME_TOP, Cluster,
                                  clusters_of, framed_layout)
from desktop.graph_groups import GroupState
from desktop.layout import DEFAULT_SIZE, layout
from desktop.model import GraphEdge, GraphNode, GraphSnapshot, NodeKind
from desktop.runner import run_script
from shared_scripts import SEQUENTIAL_LOOP as MODULES


CALLS = """\
import torch
w = torch.ones(2, requires_grad=True)
def cell(h):
    return torch.sin(h) + w * 2.0
h = w * 1.0
for i in range(200):
    h = cell(h)
loss = h.sum()
"""


def _rect(pos, sizes, i):
    w, h = sizes.get(i, DEFAULT_SIZE)
    x, y = pos[i]
    return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)


def _overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _frames(pos, sizes, clusters):
    """Each cluster's frame as the view draws it: around its boxes and its inner frames."""
    out = {}
    for c in sorted(clusters, key=lambda c: len(c.members)):  # inner ones first
        rs = [_rect(pos, sizes, i) for i in c.members]
        rs += [out[k] for k in out if k in {d.key for d in clusters if _inside(d, c, clusters)}]
        out[c.key] = (min(r[0] for r in rs) - FRAME_LEFT, min(r[1] for r in rs) - FRAME_TOP,
                      max(r[2] for r in rs) + FRAME_RIGHT, max(r[3] for r in rs) + FRAME_BOTTOM)
    return out


def _inside(inner, outer, clusters):
    by_key = {c.key: c for c in clusters}
    p = inner.parent
    while p is not None:
        if p == outer.key:
            return True
        p = by_key[p].parent if p in by_key else None
    return False


def _assert_frames_hold_their_own_boxes(snapshot, pos, sizes, clusters):
    ids = [n.id for n in snapshot.nodes]
    assert set(pos) == set(ids)
    boxes = {i: _rect(pos, sizes, i) for i in ids}
    for k, a in enumerate(ids):  # no two boxes on top of each other
        assert not any(_overlap(boxes[a], boxes[b]) for b in ids[k + 1:])
    frames = _frames(pos, sizes, clusters)
    for c in clusters:
        strangers = [i for i in ids if i not in c.members and _overlap(frames[c.key], boxes[i])]
        assert not strangers, f"the frame of {c.key} covers boxes {strangers}"
        for d in clusters:  # frames are nested or apart, never crossing
            if d.key != c.key and not _inside(d, c, clusters) and not _inside(c, d, clusters):
                assert not _overlap(frames[c.key], frames[d.key]), (c.key, d.key)


def _open_two_levels(snapshot):
    state = GroupState()
    top = {g.key for g in snapshot.groups if g.parent is None}
    for g in snapshot.groups:
        if g.parent is None or g.parent in top:
            state.set_open(g.key, True)
    return state


@pytest.mark.parametrize("source", [MODULES, CALLS], ids=["modules", "calls"])
@pytest.mark.parametrize("opened", ["default", "two levels"])
def test_an_open_groups_frame_encloses_only_its_own_boxes(source, opened):
    graph = run_script(source).graph
    state = GroupState() if opened == "default" else _open_two_levels(graph)
    p = state.project(graph)
    drawn = {n.id for n in p.graph.nodes}
    clusters = clusters_of(p.frames, p.drawn_id, drawn)
    assert clusters  # the drawing has open groups to frame
    sizes = {i: (150.0 + 10 * (i % 5), 40.0 + 6 * (i % 3)) for i in drawn}  # boxes differ
    pos = framed_layout(layout, p.graph, sizes, clusters)
    _assert_frames_hold_their_own_boxes(p.graph, pos, sizes, clusters)


def test_a_member_fed_through_an_outside_box_stays_in_its_frame():
    # a -> x -> c with a and c in one group and x outside: the group's box would feed x and
    # be fed by it; the layout must still place every box and keep x out of the frame
    nodes = tuple(GraphNode(i, NodeKind.OP, "AddBackward0", "", (1,), 1) for i in range(1, 6))
    edges = tuple(GraphEdge(s, d) for s, d in ((1, 2), (2, 3), (1, 4), (4, 5), (3, 5)))
    snap = GraphSnapshot(nodes, edges)
    clusters = [Cluster("g", None, frozenset({1, 4, 5}))]
    pos = framed_layout(layout, snap, {}, clusters)
    assert set(pos) == {1, 2, 3, 4, 5}
    _assert_frames_hold_their_own_boxes(snap, pos, {}, clusters)


def test_without_open_groups_the_layout_is_the_plain_one():
    graph = run_script(CALLS.replace("range(200)", "range(3)")).graph
    assert framed_layout(layout, graph, {}, []) == layout(graph, {})


def test_a_framed_layout_leaves_no_cycle_holding_the_snapshot():
    # the recursive helper's closure refers to itself: undone on return, or every laid-out
    # snapshot would wait for a collection (on the app's GUI thread) to be freed
    import gc

    graph = run_script(CALLS).graph
    p = GroupState().project(graph)
    drawn = {n.id for n in p.graph.nodes}
    clusters = clusters_of(p.frames, p.drawn_id, drawn)
    assert clusters
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        pos = framed_layout(layout, p.graph, {}, clusters)
        gc.collect()
        left = [o for o in gc.garbage if getattr(o, "__qualname__", "").startswith("framed_layout")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert set(pos) == drawn and left == []
