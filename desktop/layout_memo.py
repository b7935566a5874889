"""Positions of drawings seen lately, moved onto new node ids (no Qt): a script run again
builds the same graph from new node objects, and laying it out again would give the same
drawing."""

from __future__ import annotations

import threading
from collections import OrderedDict


def shape_of(snapshot, sizes) -> tuple:
    """The drawing's shape without its node ids: each node's kind, op, label and box size in
    the snapshot's order, and the edges as pairs of positions in that order."""
    index = {n.id: i for i, n in enumerate(snapshot.nodes)}
    sizes = sizes or {}
    nodes = tuple((n.kind, n.op, n.label, sizes.get(n.id)) for n in snapshot.nodes)
    edges = tuple(sorted((index.get(e.src, -1), index.get(e.dst, -1)) for e in snapshot.edges))
    return nodes, edges


def frames_of(snapshot, clusters) -> tuple:
    """The open groups' frames (``frame_layout.Cluster``) by node positions, without ids."""
    index = {n.id: i for i, n in enumerate(snapshot.nodes)}
    return tuple((c.key, c.parent, tuple(sorted(index.get(m, -1) for m in c.members)))
                 for c in clusters)


class ShapeMemo:
    """The positions of the last ``keep`` drawings, by a key that leaves node ids out
    (``shape_of``, with ``frames_of`` for a framed drawing); ``get`` moves them onto the
    given snapshot's ids, node by node in order. Thread-safe (the GUI thread and the view's
    layout thread both use it)."""

    def __init__(self, keep: int = 8):
        self.keep = keep
        self._entries: OrderedDict = OrderedDict()  # key -> (node ids, positions)
        self._lock = threading.Lock()

    def get(self, key, snapshot) -> dict | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
        if hit is None:
            return None
        old_ids, old = hit
        return {new.id: old[was] for new, was in zip(snapshot.nodes, old_ids, strict=True)
                if was in old}

    def put(self, key, snapshot, positions: dict) -> None:
        with self._lock:
            self._entries[key] = (tuple(n.id for n in snapshot.nodes), positions)
            self._entries.move_to_end(key)
            while len(self._entries) > self.keep:
                self._entries.popitem(last=False)
