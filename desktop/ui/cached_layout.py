"""Graph layout cached per graph structure, for the debugger's stops and for Runs of a script
whose graph keeps its shape."""

from __future__ import annotations

import threading
from collections import OrderedDict

from desktop.ui.graph_patch import structure


def shape_of(snapshot, sizes) -> tuple:
    """The drawing's shape without its node ids: each node's kind, op, label and box size in
    the snapshot's order, and the edges as pairs of positions in that order. A script run
    again builds the same graph from new node objects: same shape, new ids."""
    index = {n.id: i for i, n in enumerate(snapshot.nodes)}
    sizes = sizes or {}
    nodes = tuple((n.kind, n.op, n.label, sizes.get(n.id)) for n in snapshot.nodes)
    edges = tuple(sorted((index.get(e.src, -1), index.get(e.dst, -1)) for e in snapshot.edges))
    return nodes, edges


class CachedLayout:
    """Remembers the positions of the last ``KEEP`` drawing shapes. A backward step changes
    grads and styles but not the nodes and edges, so stepping through a 200-node pass lays it
    out once; a Run of the same script again gets the last Run's positions moved onto the new
    node ids (the layout is a function of the shape: laying it out again would give the same
    drawing), and so does each open group of a big graph, laid out one by one. Called from the
    GUI thread and from the view's layout thread."""

    KEEP = 8

    def __init__(self, layout_fn, accepts_sizes: bool):
        self.layout_fn = layout_fn
        self.accepts_sizes = accepts_sizes
        self._key = None
        self._positions = None
        self._shapes: OrderedDict = OrderedDict()  # shape -> (node ids, positions)
        self._lock = threading.Lock()

    def __call__(self, snapshot, sizes=None):
        key = (structure(snapshot),
               None if sizes is None else tuple(sorted(sizes.items())))
        with self._lock:
            if key == self._key:
                return self._positions
        shape = shape_of(snapshot, sizes)
        ids = tuple(n.id for n in snapshot.nodes)
        with self._lock:
            hit = self._shapes.get(shape)
            if hit is not None:
                self._shapes.move_to_end(shape)
        if hit is not None:
            old_ids, old = hit
            positions = {new: old[was] for new, was in zip(ids, old_ids, strict=True)
                         if was in old}
        elif self.accepts_sizes:
            positions = self.layout_fn(snapshot, sizes=sizes)
        else:
            positions = self.layout_fn(snapshot)
        with self._lock:
            self._shapes[shape] = (ids, positions)
            self._shapes.move_to_end(shape)
            while len(self._shapes) > self.KEEP:
                self._shapes.popitem(last=False)
            self._key, self._positions = key, positions
        return positions


def install_layout_cache(graph_view) -> None:
    """Wrap the view's layout function in a ``CachedLayout`` (once)."""
    from desktop.ui.graph_view import accepts_sizes

    if not isinstance(graph_view.layout_fn, CachedLayout):
        graph_view.layout_fn = CachedLayout(graph_view.layout_fn,
                                            accepts_sizes(graph_view.layout_fn))
