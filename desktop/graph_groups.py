"""Collapsible groups of a big autograd graph (no Qt): by ``nn.Module`` (its attribute path,
``model.0``), by the script's function that made the nodes, and by repeated loop iterations.

``find_groups`` runs in the recorder's snapshot (it knows each node's creation order, line and
module); ``GroupState`` turns a snapshot into what the graph view draws: each collapsed group is
one box, edges between boxes are merged, and the user's expand/collapse choices are kept by the
groups' stable keys across debugger stops. A graph of at most ``COLLAPSE_ABOVE`` nodes is drawn
in full; above that groups start collapsed and open, biggest first, while the drawing stays
within ``OPEN_BUDGET`` boxes: a 10,000-node training graph opens as a few dozen readable boxes
(a short column that Fit keeps legible); double-click opens more.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.model import GraphEdge, GraphNode, GraphSnapshot, NodeKind

COLLAPSE_ABOVE = 200  # nodes: above this a graph opens with its groups collapsed
MIN_REPEAT_NODES = 8  # a repeated pattern smaller than this is not worth a box
OPEN_BUDGET = 24  # boxes: a big graph's groups open by default while the drawing stays within
MAX_CHILDREN = 25  # iterations of one loop box; more go in blocks ("iterations 1–50")
_PERIODS_TRIED = 4  # next occurrences of an atom tried as the period of a repeat
_PASSES = 3  # repeat detection over already-found repeats: loops nested this deep


@dataclass(frozen=True)
class OpInfo:
    """One op node, in creation order: what grouping looks at."""

    id: int
    line: int | None
    op: str
    # (kind, name[, call]) outermost first: "module" (attribute path and class, with the
    # call's number: two calls are two boxes), "function" (a def with a loop: consecutive
    # nodes are one call) or "call" (a def without: a repeat is a run of calls)
    path: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class NodeGroup:
    key: str  # stable across snapshots of one run (kind, level and first node's id)
    kind: str  # "module" | "function" | "loop" | "iteration"
    title: str
    members: frozenset  # every node id inside, nested groups' included
    parent: str | None = None  # the key of the enclosing group
    lines: tuple[int, int] | None = None  # first and last source line of its nodes


class _G:
    """A group while it is being built."""

    __slots__ = ("children", "key", "kind", "lines", "members", "parent", "title")

    def __init__(self, key, kind, title, members, lines):
        self.key, self.kind, self.title, self.lines = key, kind, title, lines
        self.members = set(members)
        self.parent = None
        self.children: list[_G] = []


def _lines(ops) -> tuple[int, int] | None:
    lines = [o.line for o in ops if o.line is not None]
    return (min(lines), max(lines)) if lines else None


def _line_text(lines) -> str:
    if lines is None:
        return ""
    return f"line {lines[0]}" if lines[0] == lines[1] else f"lines {lines[0]}–{lines[1]}"


def find_groups(ops: list[OpInfo], edges=(), consts=()) -> tuple[NodeGroup, ...]:
    """Groups of ``ops`` (op nodes in creation order). ``edges``: (src, dst) pairs; a constant
    (an id in ``consts``) joins the innermost group holding every node that uses it."""
    out: list[_G] = []
    _build(ops, 0, None, out)
    if consts and out:
        _place_consts(out, edges, set(consts))
    groups = tuple(NodeGroup(g.key, g.kind, g.title, frozenset(g.members),
                             g.parent.key if g.parent is not None else None, g.lines)
                   for g in out)
    for g in out:  # parent <-> children is a cycle: freed by reference counting without it
        g.children.clear()
    return groups


def _build(ops: list[OpInfo], level: int, parent: _G | None, out: list[_G]) -> None:
    atoms: list = []  # an OpInfo or a _G, in creation order
    i = 0
    while i < len(ops):
        step = ops[i].path[level] if len(ops[i].path) > level else None
        if step is None:
            atoms.append(ops[i])
            i += 1
            continue
        j = i
        while j < len(ops) and len(ops[j].path) > level and ops[j].path[level] == step:
            j += 1
        run = ops[i:j]
        kind, name = step[0], step[1]
        if kind == "call":  # a function without loops: a repeat in its run is a run of calls
            calls, found = _repeats(list(run), level, 0, parent, out, f"{name}()")
            if found:
                atoms.extend(calls)
                i = j
                continue
            kind = "function"
        lines = _line_text(_lines(run))
        title = f"{name}()" if kind == "function" else name
        g = _G(f"{kind}:{name}:{level}:{run[0].id}", kind, title,
               (o.id for o in run), _lines(run))
        g.title = title if kind != "function" or not lines else f"{title} · {lines}"
        _adopt(parent, g, out)
        _build(run, level + 1, g, out)
        atoms.append(g)
        i = j
    for npass in range(_PASSES):
        atoms, found = _repeats(atoms, level, npass, parent, out)
        if not found:
            break


def _adopt(parent: _G | None, g: _G, out: list[_G]) -> None:
    g.parent = parent
    if parent is not None:
        parent.children.append(g)
    out.append(g)


def _token(atom):
    if isinstance(atom, OpInfo):
        return atom.line, atom.op
    return atom.kind, atom.title if atom.kind != "loop" else atom.lines, len(atom.members)


def _size(atoms) -> int:
    return sum(1 if isinstance(a, OpInfo) else len(a.members) for a in atoms)


def _repeats(atoms: list, level: int, npass: int, parent: _G | None, out: list[_G],
             calls: str | None = None):
    """Wrap runs of a repeated pattern of atoms into a loop group (with one iteration group
    per repeat when the pattern has more than one atom). Linear: a period is only tried where
    the first atom occurs again."""
    tokens = [_token(a) for a in atoms]
    nxt: dict[int, list[int]] = {}
    seen: dict = {}
    for k in range(len(tokens) - 1, -1, -1):
        later = seen.get(tokens[k], [])
        nxt[k] = later[:_PERIODS_TRIED]
        seen[tokens[k]] = [k, *later[:_PERIODS_TRIED - 1]]
    result, found, i = [], False, 0
    while i < len(atoms):
        best = None
        for j in nxt[i]:
            p = j - i
            reps = 1
            while _same(tokens, i, i + reps * p, p):
                reps += 1
            if reps >= 2 and (best is None or reps * p > best[0] * best[1]):
                best = (reps, p)
        if best is None or _size(atoms[i:i + best[0] * best[1]]) < MIN_REPEAT_NODES:
            result.append(atoms[i])
            i += 1
            continue
        reps, p = best
        # The same repeat one atom later fits too when the atom after it starts the pattern
        # again: end with the last complete repeat (the first iteration is the odd one out
        # more often: ``h * 0.5`` on a constant records no node).
        end = i + reps * p
        while end < len(atoms) and tokens[end] == tokens[end - p]:
            result.append(atoms[i])
            i, end = i + 1, end + 1
        result.append(_loop(atoms[i:i + reps * p], reps, p, level, npass, parent, out, calls))
        found = True
        i += reps * p
    return result, found


def _same(tokens, a: int, b: int, p: int) -> bool:
    """tokens[a:a+p] == tokens[b:b+p], stopping at the first difference (a slice compare
    copies both slices first: quadratic on long periods that fail at once)."""
    if b + p > len(tokens):
        return False
    for k in range(p):
        if tokens[a + k] != tokens[b + k]:
            return False
    return True


def _members(atom) -> list[int]:
    return [atom.id] if isinstance(atom, OpInfo) else list(atom.members)


def _atom_lines(atoms) -> tuple[int, int] | None:
    spans = [(a.line, a.line) if isinstance(a, OpInfo) else a.lines for a in atoms]
    spans = [s for s in spans if s is not None and s[0] is not None]
    return (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None


def _first_id(atom) -> int:
    return atom.id if isinstance(atom, OpInfo) else atom.key


def _loop(atoms, reps, p, level, npass, parent, out, calls=None) -> _G:
    """``calls``: the function whose consecutive calls these repeats are (else a loop)."""
    lines = _atom_lines(atoms)
    where = _line_text(lines)
    title = f"loop {where} ×{reps}" if where else f"repeated ×{reps}"
    if calls is not None:
        title = f"{calls} ×{reps} calls"
    loop = _G(f"loop:{level}:{npass}:{_first_id(atoms[0])}", "loop", title,
              (m for a in atoms for m in _members(a)), lines)
    _reparent(atoms, loop, parent)
    _adopt(parent, loop, out)
    word = "call" if calls else "iteration"
    units = []  # (members, group or None) per repeat
    for k in range(reps):
        chunk = atoms[k * p:(k + 1) * p]
        members = [m for a in chunk for m in _members(a)]
        if p == 1 and isinstance(chunk[0], OpInfo):
            units.append((members, None, _atom_lines(chunk)))
            continue
        it = _G(f"iteration:{level}:{npass}:{_first_id(chunk[0])}", "iteration",
                f"{word} {k + 1} of {reps}", members, _atom_lines(chunk))
        _reparent(chunk, it, loop)
        units.append((members, it, it.lines))
    _chunks(units, 0, loop, word, level, npass, out)
    return loop


def _nice(n: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, … that is at least ``n``."""
    step = 1
    while True:
        for k in (1, 2, 5):
            if step * k >= n:
                return step * k
        step *= 10


def _chunks(units, start: int, parent: _G, word: str, level, npass, out) -> None:
    """Put ``units`` (repeats number ``start``…) under ``parent``, in blocks ("iterations
    1–50") when there are more than MAX_CHILDREN: an opened loop of 10,000 iterations shows
    a readable handful of boxes, each opening into the next handful."""
    if len(units) <= MAX_CHILDREN:
        for members, g, _lines in units:
            if g is not None:
                if g.parent is not None and g in g.parent.children:
                    g.parent.children.remove(g)
                _adopt(parent, g, out)
        return
    size = _nice(-(-len(units) // (MAX_CHILDREN - 5)))
    for lo in range(0, len(units), size):
        part = units[lo:lo + size]
        spans = [s for *_, s in part if s is not None]
        lines = (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None
        first = part[0][1].key if part[0][1] is not None else part[0][0][0]
        block = _G(f"block{size}:{level}:{npass}:{first}", "iteration",
                   f"{word}s {start + lo + 1}–{start + lo + len(part)}",
                   (m for members, *_ in part for m in members), lines)
        _adopt(parent, block, out)
        _chunks(part, start + lo, block, word, level, npass, out)


def _reparent(atoms, new_parent: _G, old_parent: _G | None) -> None:
    for a in atoms:
        if isinstance(a, _G):
            if old_parent is not None and a in old_parent.children:
                old_parent.children.remove(a)
            a.parent = new_parent
            new_parent.children.append(a)


def _place_consts(groups: list[_G], edges, consts: set) -> None:
    users: dict[int, set[int]] = {}
    for s, d in edges:
        if s in consts:
            users.setdefault(s, set()).add(d)
    owner: dict[int, _G] = {}  # innermost group of each node: deepest wins
    depth = {}
    for g in groups:
        d, p = 0, g.parent
        while p is not None:
            d, p = d + 1, p.parent
        depth[g.key] = d
    for g in sorted(groups, key=lambda g: depth[g.key]):
        for m in g.members:
            owner[m] = g
    for c, us in users.items():
        g = owner.get(next(iter(us)))
        while g is not None and not us <= g.members:
            g = g.parent
        while g is not None:
            g.members.add(c)
            g = g.parent


# ---- what the view draws -------------------------------------------------------------------

@dataclass(frozen=True)
class Projection:
    """A snapshot as drawn: ``graph`` has one node per collapsed group (``boxes``: its drawn
    id -> the group) and merged edges; ``drawn_id`` maps every node id to the id drawn for it;
    ``frames``: expanded groups of a big graph (drawn as a frame around their boxes)."""

    graph: GraphSnapshot
    boxes: dict
    drawn_id: dict
    frames: tuple


class GroupState:
    """The user's open/closed choices per group key, and the projection of snapshots."""

    def __init__(self, collapse_above: int = COLLAPSE_ABOVE, budget: int = OPEN_BUDGET):
        self.collapse_above = collapse_above
        self.budget = budget
        self.choice: dict[str, bool] = {}  # key -> open
        # default decisions, kept: a debugger step that grows a loop must not reshuffle which
        # groups are open (each reshuffle is a new layout)
        self.auto: dict[str, bool] = {}
        self._full: set = set()  # parents (None: the top) with an auto-closed child
        self._ids: dict[str, int] = {}
        self._boxes: dict[str, tuple] = {}  # key -> (size, title, box node)
        self._edges: dict[tuple[int, int], GraphEdge] = {}
        self._plan = None  # (groups, choices, plan) of the last projection
        self._skeleton = None  # the drawing's outline under that plan (see _project)

    def group_id(self, key: str) -> int:
        """Negative ids, never a Python id(): a box is drawn beside real nodes."""
        gid = self._ids.get(key)
        if gid is None:
            gid = self._ids[key] = -(len(self._ids) + 1)
        return gid

    def set_open(self, key: str, is_open: bool) -> None:
        self.choice[key] = is_open

    def reset(self) -> None:
        """Forget the user's choices (a new program)."""
        self.choice.clear()
        self.auto.clear()
        self._full.clear()
        self._plan = None
        self._skeleton = None
        self._boxes.clear()
        self._edges.clear()

    def open_keys(self, snapshot: GraphSnapshot) -> set[str]:
        """The groups shown open: all of them in a small graph; else the user's choices, and
        by default the biggest groups first while the drawing stays within ``budget``."""
        groups = snapshot.groups
        if not groups:
            return set()
        if len(snapshot.nodes) <= self.collapse_above:
            return {g.key for g in groups if self.choice.get(g.key, True)}
        by_key = {g.key: g for g in groups}
        children: dict[str | None, list] = {}
        for g in groups:
            children.setdefault(g.parent, []).append(g)
        direct = {}  # drawn boxes a group becomes when opened (its children collapsed)
        for g in groups:
            inner = children.get(g.key, ())
            direct[g.key] = len(g.members) - sum(len(c.members) for c in inner) + len(inner)
        top = children.get(None, ())
        visible = len(snapshot.nodes) - sum(len(g.members) - 1 for g in top)
        opened: set[str] = set()
        queue = sorted(top, key=lambda g: -len(g.members))
        while queue:
            g = queue.pop(0)
            want = self.choice.get(g.key, self.auto.get(g.key))
            grow = direct[g.key] - 1
            if want is None:
                # once one group of a parent did not fit, its later siblings stay closed
                # too: the growing tail of a loop would open, then grow past the budget
                want = g.parent not in self._full and visible + grow <= self.budget
                self.auto[g.key] = want
                if not want:
                    self._full.add(g.parent)
            if not want:
                continue
            opened.add(g.key)
            visible += grow
            queue.extend(sorted(children.get(g.key, ()), key=lambda c: -len(c.members)))
            queue.sort(key=lambda c: -len(c.members))
        return {k for k in opened if k in by_key}

    def project(self, snapshot: GraphSnapshot) -> Projection:
        groups = snapshot.groups
        if not groups:
            return Projection(snapshot, {}, {}, ())
        if len(self.auto) > 50_000:  # keys of old runs
            self.auto.clear()
            self._full.clear()
        key = (len(snapshot.nodes), tuple(sorted(self.choice.items())))
        cached = self._plan
        if cached is not None and cached[0] is groups and cached[1] == key:
            boxes, drawn_id, frames = cached[2]
        else:  # a backward step keeps the groups: plan once per structure
            boxes, drawn_id, frames = self._plan_boxes(snapshot)
            self._plan = (groups, key, (boxes, drawn_id, frames))
        if not boxes:
            return Projection(snapshot, {}, {}, tuple(frames))
        return self._project(snapshot, boxes, drawn_id, frames)

    def _plan_boxes(self, snapshot: GraphSnapshot):
        """Which groups are boxes and which open (framed), and every node's drawn id."""
        if not any(g.key in self.auto for g in snapshot.groups):
            self.auto.clear()  # another run's graph: decide afresh
            self._full.clear()
        opened = self.open_keys(snapshot)
        by_key = {g.key: g for g in snapshot.groups}

        def depth(g):
            d = 0
            while g.parent is not None:
                g, d = by_key[g.parent], d + 1
            return d

        drawn_id: dict[int, int] = {}
        boxes: dict[int, NodeGroup] = {}
        frames = []
        for g in sorted(snapshot.groups, key=depth):
            if g.parent is not None and g.parent not in opened:
                continue  # inside a collapsed group: that one's box stands for it
            if g.key in opened:
                if len(snapshot.nodes) > self.collapse_above:
                    frames.append(g)
                continue
            if any(m in drawn_id for m in g.members):
                continue  # already inside a collapsed ancestor
            gid = self.group_id(g.key)
            boxes[gid] = g
            for m in g.members:
                drawn_id[m] = gid
        return boxes, drawn_id, tuple(frames)

    def _project(self, snapshot, boxes, drawn_id, frames) -> Projection:
        """The drawn graph. Consecutive backward stops share the groups, the plan and the node
        and edge order: the drawing's outline (which positions of ``snapshot.nodes`` and
        ``.edges`` are drawn as they are, and the boxes and merged edges between them) is
        worked out once and each later stop only picks its nodes and edges by position, so a
        step costs the drawn boxes, not the whole graph."""
        sk = self._skeleton
        if sk is None or sk[0] is not snapshot.groups or sk[1] is not drawn_id or \
                sk[2] != (len(snapshot.nodes), len(snapshot.edges)) or \
                not _fits(sk, snapshot):
            sk = self._skeleton = self._outline(snapshot, boxes, drawn_id)
        all_nodes, all_edges = snapshot.nodes, snapshot.edges
        nodes = tuple(all_nodes[x] if type(x) is int else x for x in sk[3])
        edges = tuple(all_edges[x] if type(x) is int else x for x in sk[4])
        highlight = frozenset(drawn_id.get(h, h) for h in snapshot.highlight)
        graph = GraphSnapshot(nodes, edges, snapshot.note, highlight, snapshot.groups)
        return Projection(graph, boxes, drawn_id, tuple(frames))

    def _outline(self, snapshot, boxes, drawn_id) -> tuple:
        """(groups, plan, sizes, node entries, edge entries, (positions, ids) of the nodes and
        (positions, pairs) of the edges drawn as they are): an entry is a position in the
        snapshot's nodes/edges, or the box node / merged edge drawn there."""
        node_entries, edge_entries, placed = [], [], set()
        for k, n in enumerate(snapshot.nodes):
            d = drawn_id.get(n.id, n.id)
            if d == n.id:
                node_entries.append(k)
            elif d not in placed:
                placed.add(d)
                node_entries.append(self._box(d, boxes[d], snapshot))
        seen = set()
        for k, e in enumerate(snapshot.edges):
            s, d = drawn_id.get(e.src, e.src), drawn_id.get(e.dst, e.dst)
            if s == d:
                continue
            if s == e.src and d == e.dst:
                edge_entries.append(k)
            elif (s, d) not in seen:
                seen.add((s, d))
                edge = self._edges.get((s, d))
                if edge is None:
                    edge = self._edges[(s, d)] = GraphEdge(s, d)
                edge_entries.append(edge)
        node_pos = tuple(k for k in node_entries if type(k) is int)
        edge_pos = tuple(k for k in edge_entries if type(k) is int)
        ids = tuple(snapshot.nodes[k].id for k in node_pos)
        pairs = tuple((snapshot.edges[k].src, snapshot.edges[k].dst) for k in edge_pos)
        return (snapshot.groups, drawn_id, (len(snapshot.nodes), len(snapshot.edges)),
                tuple(node_entries), tuple(edge_entries), (node_pos, ids), (edge_pos, pairs))

    def _box(self, gid: int, g: NodeGroup, snapshot: GraphSnapshot) -> GraphNode:
        """The node drawn for a collapsed group; the same object while the group is unchanged
        (the view's in-place update keeps its box)."""
        sig = (len(g.members), g.title)
        memo = self._boxes.get(g.key)
        if memo is not None and memo[0] == sig:
            return memo[1]
        count = len(g.members)
        summary = {"loop": "loop · ", "module": "module · ",
                   "function": "function call · "}.get(g.kind, "")
        box = GraphNode(id=gid, kind=NodeKind.OP, op=f"{summary}{count} nodes",
                        label=g.title, shape=(),
                        line=g.lines[0] if g.lines is not None else None)
        self._boxes[g.key] = (sig, box)
        return box


def _fits(sk, snapshot: GraphSnapshot) -> bool:
    """The nodes and edges the outline draws as they are sit where it expects them (an
    O(drawn) check: the groups object and the sizes matched already)."""
    nodes, edges = snapshot.nodes, snapshot.edges
    (node_pos, ids), (edge_pos, pairs) = sk[5], sk[6]
    return all(nodes[k].id == i for k, i in zip(node_pos, ids, strict=True)) and all(
        (edges[k].src, edges[k].dst) == p for k, p in zip(edge_pos, pairs, strict=True))
