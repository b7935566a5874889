"""Layered DAG layout of a GraphSnapshot (no Qt): ``layout(snapshot, sizes) -> {id: (x, y)}``.

Positions are box centres in scene units, y growing downwards, outputs (the loss) at the bottom
and leaves at the top: the same convention as ``desktop.ui.simple_layout``, so ``layout`` plugs
into the graph view as its ``layout_fn``.

grandalf's Sugiyama layout runs on the *reversed* graph (loss -> leaves, as torchviz draws it):
each leaf then lands next to its consumer instead of every leaf piling up on one layer, which
cut layout time ~4x and crossings ~4-7x in the measurements of gui-anchors B.6. Each weakly
connected component is laid out on its own and the components are placed side by side.

Thresholds (2-core machine): grandalf's time grows with nodes *plus dummy vertices* (one per
layer an edge skips), faster than linearly: an MLP-like graph of 300 nodes (cost ~500) takes
90-150 ms, of 600 nodes (cost ~1000) ~0.5 s; a dense random DAG of 200 nodes (cost ~3200) ~0.36 s,
of 600 nodes ~4 s. So a component goes to grandalf only when its estimated cost is at most
``GRANDALF_MAX_COST`` (1000) and it has at most ``GRANDALF_MAX_NODES`` (500) nodes; otherwise,
or if grandalf fails, ``simple_layers`` (longest path to a sink plus two barycentre sweeps,
linear: 25-150 ms at 2000 nodes) lays it out.
Callers should still run the layout off the GUI thread past a few hundred nodes.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable

from desktop.model import GraphSnapshot

GRANDALF_MAX_NODES = 500
GRANDALF_MAX_COST = 1000  # nodes + dummy vertices, see above
# Past this many vertices per node (long edges dominate: a parameter feeding every collapsed
# block of a loop) grandalf spreads the edges' dummies into a row several screens wide; the
# linear layering keeps such a drawing a narrow column that Fit leaves readable.
DUMMY_RATIO = 4
DEFAULT_SIZE = (190.0, 64.0)  # the graph view's widest box (labels elided past 170 px)
X_GAP = 30.0  # between boxes on one layer
Y_GAP = 46.0  # between layers (edges carry grad labels after backward: one text line)
COMPONENT_GAP = 80.0  # between components side by side

Size = tuple[float, float]
Pos = dict[int, tuple[float, float]]


def layout(snapshot: GraphSnapshot, sizes: dict[int, Size] | None = None,
           use_grandalf: bool = True) -> Pos:
    """Centres for every node of ``snapshot``; ``sizes`` maps node id -> (w, h)."""
    sizes = sizes or {}
    ids = [n.id for n in snapshot.nodes]
    size = {i: sizes.get(i, DEFAULT_SIZE) for i in ids}
    edges = _edges(snapshot, set(ids))
    positions: Pos = {}
    left = 0.0
    for comp in _components(ids, edges):
        comp_set = set(comp)
        comp_edges = [(s, d) for s, d in edges if s in comp_set]
        pos = None
        if use_grandalf and 1 < len(comp) <= GRANDALF_MAX_NODES \
                and layout_cost(comp, comp_edges) <= min(GRANDALF_MAX_COST,
                                                         DUMMY_RATIO * len(comp)):
            pos = _grandalf(comp, comp_edges, size)
        if pos is None:
            pos = simple_layers(comp, comp_edges, size)
        # Shift the component so its left edge sits at `left` and its top at y = 0.
        x0 = min(pos[i][0] - size[i][0] / 2 for i in comp)
        y0 = min(pos[i][1] - size[i][1] / 2 for i in comp)
        for i in comp:
            positions[i] = (pos[i][0] - x0 + left, pos[i][1] - y0)
        left = max(positions[i][0] + size[i][0] / 2 for i in comp) + COMPONENT_GAP
    return positions


def warm() -> bool:
    """grandalf is imported (the app's start-up warm-up imports it off the GUI thread): a small
    drawing then takes a millisecond or two."""
    return "grandalf.layouts" in sys.modules


def _edges(snapshot: GraphSnapshot, known: set[int]) -> list[tuple[int, int]]:
    """Distinct (producer, consumer) pairs; x * x gives two GraphEdges but one layout edge."""
    seen = {}
    for e in snapshot.edges:
        if e.src in known and e.dst in known and e.src != e.dst:
            seen[(e.src, e.dst)] = None
    return list(seen)


def _components(ids: list[int], edges: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Weakly connected components, each in snapshot order; biggest first."""
    parent = {i: i for i in ids}

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for s, d in edges:
        parent[find(s)] = find(d)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in ids:
        groups[find(i)].append(i)
    return sorted(groups.values(), key=len, reverse=True)


class _View:
    __slots__ = ("h", "w", "xy")

    def __init__(self, w: float, h: float):
        self.w, self.h, self.xy = w, h, (0.0, 0.0)


def _grandalf(comp: list[int], edges: list[tuple[int, int]], size: dict[int, Size]) -> Pos | None:
    try:
        from grandalf.graphs import Edge, Graph, Vertex
        from grandalf.layouts import SugiyamaLayout

        verts = {}
        for i in comp:
            v = Vertex(i)
            v.view = _View(*size[i])
            verts[i] = v
        # Reversed: consumer -> producer, so the loss is the root (layer 0).
        graph = Graph(list(verts.values()), [Edge(verts[d], verts[s]) for s, d in edges])
        (core,) = graph.C  # one component by construction
        sug = SugiyamaLayout(core)
        sug.xspace, sug.yspace = X_GAP, Y_GAP
        roots = [v for v in core.sV if not v.e_in()]
        sug.init_all(roots=roots or None)
        sug.draw()
        # grandalf puts the root layer at the top; flip so the loss is at the bottom.
        return {i: (v.view.xy[0], -v.view.xy[1]) for i, v in verts.items()}
    except Exception:  # grandalf on an odd graph (a cycle from a bug, recursion): fall back
        return None


def layout_cost(comp: list[int], edges: list[tuple[int, int]]) -> int:
    """Nodes plus the dummy vertices a longest-path layering needs: predicts grandalf's time."""
    consumers, producers = _adjacency(edges)
    depth = _depth_from_sinks(comp, consumers, producers)
    return len(comp) + sum(max(0, depth[s] - depth[d] - 1) for s, d in edges)


def _adjacency(edges):
    consumers: dict[int, list[int]] = defaultdict(list)
    producers: dict[int, list[int]] = defaultdict(list)
    for s, d in edges:
        consumers[s].append(d)
        producers[d].append(s)
    return consumers, producers


def simple_layers(comp: list[int], edges: list[tuple[int, int]], size: dict[int, Size]) -> Pos:
    """Linear-time layering: a node's layer is its longest path to a sink (sinks at the bottom),
    then two barycentre sweeps order each layer to limit crossings."""
    consumers, producers = _adjacency(edges)
    depth = _depth_from_sinks(comp, consumers, producers)
    layers: dict[int, list[int]] = defaultdict(list)
    for i in comp:
        layers[depth[i]].append(i)
    order = sorted(layers)  # 0 = sinks (bottom)
    rank: dict[int, float] = {}
    for sweep in (order, order[::-1]):
        for d in sweep:
            row = layers[d]
            for k, i in enumerate(row):
                nbrs = [rank[j] for j in consumers[i] + producers[i] if j in rank]
                rank[i] = sum(nbrs) / len(nbrs) if nbrs else float(k)
            row.sort(key=lambda i: rank[i])
            for k, i in enumerate(row):
                rank[i] = float(k)
    top = max(order)
    pos: Pos = {}
    y = 0.0
    for d in range(top, -1, -1):  # leaves' layers first (top), sinks last (bottom)
        row = layers.get(d, [])
        if not row:
            continue
        height = max(size[i][1] for i in row)
        x = 0.0
        for i in row:
            w = size[i][0]
            pos[i] = (x + w / 2, y + height / 2)
            x += w + X_GAP
        # Centre the row on x = 0 so narrow layers sit under wide ones.
        shift = (x - X_GAP) / 2
        for i in row:
            pos[i] = (pos[i][0] - shift, pos[i][1])
        y += height + Y_GAP
    return pos


def _depth_from_sinks(ids, consumers, producers) -> dict[int, int]:
    """Longest path to a sink, by Kahn's algorithm from the sinks (no recursion: chains of
    10,000 nodes happen in training loops that never call backward)."""
    remaining = {i: len(consumers[i]) for i in ids}
    depth = dict.fromkeys(ids, 0)
    ready = [i for i in ids if remaining[i] == 0]
    while ready:
        i = ready.pop()
        for p in producers[i]:
            depth[p] = max(depth[p], depth[i] + 1)
            remaining[p] -= 1
            if remaining[p] == 0:
                ready.append(p)
    return depth  # nodes on a cycle (never in a real graph) stay at depth 0
