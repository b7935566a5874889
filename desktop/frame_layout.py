"""Layout of a drawing with open groups (no Qt): each open group's boxes are laid out on their
own and the result stands as one big box in the layout around it, so a group's frame encloses
its own boxes and nested frames, never an unrelated box.

A layout of the whole drawing knows nothing of groups: it may put an outside box between two
members (a layer of a loop iteration beside a parameter's), and the frame, the members'
bounding rectangle, then runs across it. Here, innermost groups first, the members (with each
open child group already condensed into one box of its extent plus the frame's margins) are
laid out by the same ``layout_fn``; the enclosing level sees the group as one box of that size.
A layered layout never overlaps two boxes, so nothing else lands inside the group's box.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from desktop.layout import DEFAULT_SIZE
from desktop.model import GraphEdge, GraphSnapshot

# the frame's margins around its members' boxes (desktop.ui.graph_items.GroupFrame), plus air
FRAME_LEFT, FRAME_TOP, FRAME_RIGHT, FRAME_BOTTOM = 12.0, 30.0, 12.0, 12.0
AIR = 8.0

Size = tuple[float, float]
Pos = dict[int, tuple[float, float]]


@dataclasses.dataclass(frozen=True)
class Cluster:
    """An open group as drawn: its key, the enclosing open group's key (None: top level) and
    the drawn ids of its boxes, those of nested groups included."""

    key: str
    parent: str | None
    members: frozenset


def clusters_of(frames: Iterable, drawn_id: dict, drawn_ids: set) -> list[Cluster]:
    """The drawn boxes of each open group (``NodeGroup``s, as ``Projection.frames``); a group
    with fewer than two boxes draws no frame and is left out."""
    frames = list(frames)
    keys = {g.key for g in frames}
    out = []
    for g in frames:
        members = frozenset(drawn_id.get(m, m) for m in g.members) & drawn_ids
        if len(members) >= 2:
            out.append(Cluster(g.key, g.parent if g.parent in keys else None, members))
    return out


def framed_layout(layout_fn: Callable[[GraphSnapshot, dict], Pos], snapshot: GraphSnapshot,
                  sizes: dict[int, Size], clusters: list[Cluster]) -> Pos:
    """Centres for every node of ``snapshot`` with each cluster's boxes kept together.
    ``layout_fn(snapshot, sizes)`` lays out a flat graph (``desktop.layout.layout``)."""
    if not clusters:
        return layout_fn(snapshot, sizes)
    by_id = {n.id: n for n in snapshot.nodes}
    known = {c.key for c in clusters}
    # innermost cluster of each node; a member of a cluster whose parent is unknown is top level
    children: dict[str | None, list[Cluster]] = {}
    for c in clusters:
        children.setdefault(c.parent if c.parent in known else None, []).append(c)
    fresh = iter(range(min([0, *by_id]) - 1, -(1 << 62), -1))  # ids for condensed groups
    size = {n.id: sizes.get(n.id, DEFAULT_SIZE) for n in snapshot.nodes}

    def solve(members: frozenset | None, key: str | None) -> Pos:
        inner = children.get(key, [])
        proxy_of: dict[int, int] = {}  # node id -> the id of the child group's box holding it
        placed: dict[int, Pos] = {}
        for c in inner:
            sub = solve(c.members, c.key)
            pid = next(fresh)
            x0, y0, x1, y1 = _extent(sub, size)
            size[pid] = (x1 - x0 + FRAME_LEFT + FRAME_RIGHT + 2 * AIR,
                         y1 - y0 + FRAME_TOP + FRAME_BOTTOM + 2 * AIR)
            # the sub-layout relative to its box's centre (frame title above the members)
            cx = (x0 + x1) / 2 + (FRAME_RIGHT - FRAME_LEFT) / 2
            cy = (y0 + y1) / 2 + (FRAME_BOTTOM - FRAME_TOP) / 2
            placed[pid] = {i: (x - cx, y - cy) for i, (x, y) in sub.items()}
            for i in c.members:
                proxy_of.setdefault(i, pid)
        ids = [n.id for n in snapshot.nodes if (members is None or n.id in members)
               and n.id not in proxy_of]
        ids += list(placed)
        as_drawn = {i: proxy_of.get(i, i) for i in (by_id if members is None else members)}
        edges = {}
        for e in snapshot.edges:
            s, d = as_drawn.get(e.src), as_drawn.get(e.dst)
            if s is not None and d is not None and s != d:
                edges[(s, d)] = None
        template = snapshot.nodes[0]
        nodes = tuple(by_id[i] if i in by_id else dataclasses.replace(template, id=i)
                      for i in ids)
        level = GraphSnapshot(nodes, tuple(GraphEdge(s, d) for s, d in edges))
        pos = layout_fn(level, {i: size[i] for i in ids})
        out: Pos = {}
        for i in ids:
            x, y = pos.get(i, (0.0, 0.0))
            if i in placed:
                out.update({j: (x + dx, y + dy) for j, (dx, dy) in placed[i].items()})
            else:
                out[i] = (x, y)
        return out

    try:
        return solve(None, None)
    finally:
        # solve's closure holds solve (it recurses): without this the cycle keeps the snapshot
        # alive until a collection
        del solve


def _extent(pos: Pos, size: dict[int, Size]) -> tuple[float, float, float, float]:
    x0 = min(x - size[i][0] / 2 for i, (x, _) in pos.items())
    y0 = min(y - size[i][1] / 2 for i, (_, y) in pos.items())
    x1 = max(x + size[i][0] / 2 for i, (x, _) in pos.items())
    y1 = max(y + size[i][1] / 2 for i, (_, y) in pos.items())
    return x0, y0, x1, y1
