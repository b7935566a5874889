"""Fallback graph layout (no Qt, no grandalf): layers by longest path to an output.

Depth is counted from the sinks (outputs such as ``loss``) as torchviz does, so every leaf sits one
layer above its first consumer instead of all leaves piling up on the top row. Outputs are at the
bottom (largest y). The real Sugiyama layout (desktop/layout.py, grandalf) plugs into the graph
view through the same ``layout_fn(snapshot) -> {id: (x, y)}`` signature.
"""

from __future__ import annotations

from collections import defaultdict

from desktop.model import GraphSnapshot

LAYER_GAP = 110.0
NODE_GAP = 190.0


def layered_layout(snapshot: GraphSnapshot) -> dict[int, tuple[float, float]]:
    ids = [n.id for n in snapshot.nodes]
    known = set(ids)
    consumers: dict[int, list[int]] = defaultdict(list)
    for e in snapshot.edges:
        if e.src in known and e.dst in known and e.src != e.dst:
            consumers[e.src].append(e.dst)
    depth = _depth_from_sinks(ids, consumers)

    layers: dict[int, list[int]] = defaultdict(list)
    for n in ids:
        layers[depth[n]].append(n)
    x: dict[int, float] = {}
    for d in sorted(layers):
        row = layers[d]
        # Barycentre of already-placed consumers keeps chains straight and limits crossings.
        wanted = {}
        for n in row:
            xs = [x[c] for c in consumers[n] if c in x]
            wanted[n] = sum(xs) / len(xs) if xs else None
        free = 0.0
        placed = [wx for wx in wanted.values() if wx is not None]
        if placed:
            free = max(placed) + NODE_GAP
        for n in row:
            if wanted[n] is None:
                wanted[n] = free
                free += NODE_GAP
        row.sort(key=lambda n: (wanted[n], n))
        xs = _spread([wanted[n] for n in row])
        for n, xn in zip(row, xs, strict=True):
            x[n] = xn
    if x:  # centre the drawing on x = 0
        mid = (min(x.values()) + max(x.values())) / 2
        x = {n: v - mid for n, v in x.items()}
    return {n: (x[n], -depth[n] * LAYER_GAP) for n in ids}


def _spread(wanted: list[float]) -> list[float]:
    """Keep the sorted wishes but push neighbours apart to at least NODE_GAP, then re-centre."""
    out: list[float] = []
    for w in wanted:
        out.append(w if not out else max(w, out[-1] + NODE_GAP))
    if out:
        shift = (sum(wanted) - sum(out)) / len(out)
        out = [v + shift for v in out]
    return out


def _depth_from_sinks(ids: list[int], consumers: dict[int, list[int]]) -> dict[int, int]:
    """Longest path to any sink, computed iteratively (graphs can be thousands deep)."""
    depth: dict[int, int] = {}
    on_stack: set[int] = set()
    for root in ids:
        if root in depth:
            continue
        stack = [(root, iter(consumers[root]))]
        on_stack.add(root)
        while stack:
            node, it = stack[-1]
            child = next(it, None)
            if child is None:
                stack.pop()
                on_stack.discard(node)
                depth[node] = 1 + max((depth[c] for c in consumers[node] if c in depth),
                                      default=-1)
            elif child not in depth and child not in on_stack:  # on_stack: ignore a cycle
                on_stack.add(child)
                stack.append((child, iter(consumers[child])))
    return depth
