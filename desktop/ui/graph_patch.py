"""Update a ``GraphView`` in place when a debugger step changed only a few nodes.

``GraphView.set_snapshot`` rebuilds every box and arrow (about 0.2 s at 200 nodes); a backward
step changes the node that ran, the leaf it accumulated into and the grads on its edges. The
debugger's snapshots share unchanged ``GraphNode``/``GraphEdge`` objects between consecutive
stops, so identity tells what changed: only those items are replaced, at their old positions.
A forward line that adds nodes needs a new layout; the unchanged boxes are kept and moved
(the drawings the view lays out on its own thread, ``lays_out_here``; else the drawing is
laid out again in a worker).
A big graph is compared as drawn (``GraphView.draw_plan``: groups collapsed, cut to the view's
limit), so a step inside a collapsed group replaces that group's box at most.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF

from desktop.model import GraphSnapshot
from desktop.ui.graph_items import EdgeItem, NodeItem

_memo: list = []  # [(snapshot, structure)] of the last few snapshots asked about


def structure(snapshot: GraphSnapshot) -> tuple:
    """The node ids and edge pairs: what the layout depends on."""
    for snap, key in _memo:
        if snap is snapshot:
            return key
    key = (frozenset(n.id for n in snapshot.nodes),
           tuple(sorted((e.src, e.dst) for e in snapshot.edges)))
    _memo.insert(0, (snapshot, key))
    del _memo[4:]
    return key


def patch_graph(view, new_graph: GraphSnapshot, select: int | None = None) -> bool:
    """Show ``new_graph`` in ``view`` by replacing changed items only; when boxes were added or
    removed, lay the drawing out again (a few ms at 60 boxes) and move the kept boxes. False
    (nothing done) when it can't: nothing drawn yet, a note, a layout still running, or a
    changed drawing too big to lay out on the GUI thread. ``select``: the node to select
    afterwards (default: keep the selection)."""
    if view.laying_out or not view.node_items or new_graph.note != view.snapshot.note:
        return False
    old, projection, old_notes = view.drawn, view.projection, view.notes
    new, notes = view.draw_plan(new_graph)
    same = structure(old) == structure(new)
    if (not same and not view.lays_out_here(len(new.nodes))) or len(notes) != len(old_notes):
        view.projection = projection  # untouched: set_snapshot will draw it all again
        return False
    scene, items = view.scene, view.node_items
    selected = view.selected_id()
    fresh: dict[int, NodeItem] = {}
    kept: dict[int, NodeItem] = {}
    for n in new.nodes:
        item = items.get(n.id)
        hl = n.id in new.highlight
        if item is not None and item.node is n:
            if item.highlighted != hl:
                item.highlighted = hl
                item.update()
            kept[n.id] = item
        else:
            fresh[n.id] = view.make_item(n, hl)
            if item is not None:
                fresh[n.id].setPos(item.pos())
    now = {n.id: kept.get(n.id) or fresh[n.id] for n in new.nodes}
    for nid, item in items.items():
        if now.get(nid) is not item:
            scene.removeItem(item)
    shift: dict[int, tuple[float, float]] = {}  # kept boxes that moved: by how much
    if not same:
        sizes = {i: (it.rect.width(), it.rect.height()) for i, it in now.items()}
        positions = view.layout_positions(new, sizes)
        for nid, item in now.items():
            x, y = positions.get(nid, (0.0, 0.0))
            old_pos = item.pos()
            if old_pos != QPointF(x, y):
                item.setPos(QPointF(x, y))
                shift[nid] = (x - old_pos.x(), y - old_pos.y())
    for item in fresh.values():
        scene.addItem(item)
    by_pair: dict[tuple[int, int], list[EdgeItem]] = {}
    for e_item in view.edge_items:
        by_pair.setdefault((e_item.edge.src, e_item.edge.dst), []).append(e_item)
    edge_items = []
    for e in new.edges:
        if e.src not in now or e.dst not in now:
            continue  # an edge to a node outside the drawing (as set_snapshot skips it)
        queue = by_pair.get((e.src, e.dst))
        e_item = queue.pop(0) if queue else None
        reuse = (e_item is not None and e_item.edge is e and e.src not in fresh
                 and e.dst not in fresh)
        if reuse and shift.get(e.src) != shift.get(e.dst):
            reuse = False  # the arrow's direction or length changed: draw it again
        if reuse:
            dx, dy = shift.get(e.src, (0.0, 0.0))
            if dx or dy:
                e_item.moveBy(dx, dy)  # both ends moved alike (a layer re-centred)
        else:
            if e_item is not None:
                scene.removeItem(e_item)
            e_item = EdgeItem(e, now[e.src], now[e.dst], view.theme)
            scene.addItem(e_item)
        edge_items.append(e_item)
    for rest in by_pair.values():
        for e_item in rest:
            scene.removeItem(e_item)
    view.adopt(new_graph, new, now, edge_items)  # a late layout of an older one is dropped
    if notes != old_notes:
        view.show_notes(notes)
    select = view.drawn_id(select)
    if select in now:
        selected = select
    if selected in now:
        scene.clearSelection()
        now[selected].setSelected(True)
        view.show_detail(now[selected])  # one detail render per step
    else:
        view.detail.show_node(None, None)
    if fresh or not same:
        view.draw_frames()
    if not same:
        scene.setSceneRect(scene.itemsBoundingRect().adjusted(-40, -40, 40, 40))
        view.fit_readable()  # as set_snapshot: a deep graph opens on its output end
    return True
