"""Update a ``GraphView`` in place when a debugger step changed only a few nodes.

``GraphView.set_snapshot`` rebuilds every box and arrow (about 0.2 s at 200 nodes); a backward
step changes the node that ran, the leaf it accumulated into and the grads on its edges. The
debugger's snapshots share unchanged ``GraphNode``/``GraphEdge`` objects between consecutive
stops, so identity tells what changed: only those items are replaced, at their old positions.
"""

from __future__ import annotations

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


def patch_graph(view, new: GraphSnapshot) -> bool:
    """Show ``new`` in ``view`` by replacing changed items only. False (nothing done) when it
    can't: a different set of nodes or edges, a note, or a layout still running."""
    old = view.snapshot
    if (view._pending is not None or not view.node_items or new.note != old.note
            or len(new.nodes) != len(view.node_items) or structure(old) != structure(new)):
        return False
    items = view.node_items
    if any(n.id not in items for n in new.nodes):
        return False
    scene, theme = view.scene, view.theme
    selected = view.selected_id()
    replaced: set[int] = set()
    for n in new.nodes:
        item = items[n.id]
        hl = n.id in new.highlight
        if item.node is n:
            if item.highlighted != hl:
                item.highlighted = hl
                item.update()
            continue
        fresh = NodeItem(n, theme, highlighted=hl)
        fresh.setPos(item.pos())
        scene.removeItem(item)
        scene.addItem(fresh)
        items[n.id] = fresh
        replaced.add(n.id)
    by_pair: dict[tuple[int, int], list[EdgeItem]] = {}
    for e_item in view.edge_items:
        by_pair.setdefault((e_item.edge.src, e_item.edge.dst), []).append(e_item)
    edge_items = []
    for e in new.edges:
        queue = by_pair.get((e.src, e.dst))
        if not queue:
            continue  # an edge to a node outside the drawing (as set_snapshot skips it)
        e_item = queue.pop(0)
        if e_item.edge is not e or e.src in replaced or e.dst in replaced:
            scene.removeItem(e_item)
            e_item = EdgeItem(e, items[e.src], items[e.dst], theme)
            scene.addItem(e_item)
        edge_items.append(e_item)
    view.edge_items = edge_items
    view.snapshot = new
    view._token += 1  # a late layout from an older snapshot must not land on this one
    view._find_hits = []
    if selected in items:
        items[selected].setSelected(True)
        view.detail.show_node(items[selected].node, new)
    return True
