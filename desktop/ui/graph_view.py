"""The graph panel: a zoomable, pannable scene of a GraphSnapshot plus a node detail pane.

Positions come from ``layout_fn(snapshot) -> {node_id: (x, y)}`` (box centres, y down), or
``layout_fn(snapshot, sizes={node_id: (w, h)})`` when the function has a ``sizes`` parameter, so
``desktop.layout.layout`` (grandalf) plugs in as is; the fallback is
``simple_layout.layered_layout``. Past ASYNC_NODES nodes the layout runs in a worker thread.
"""

from __future__ import annotations

import contextlib
import functools
import html
import inspect
import threading
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import (
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.frame_layout import clusters_of, framed_layout
from desktop.graph_groups import GroupState, NodeGroup, Projection
from desktop.layout_memo import ShapeMemo, frames_of, shape_of
from desktop.model import GraphNode, GraphSnapshot, NodeKind
from desktop.node_index import node_index
from desktop.ui.formatting import long_array, shape_text
from desktop.ui.graph_items import (
    MIN_SCREEN_PX,
    SMALLEST_PX,
    EdgeItem,
    GroupFrame,
    GroupItem,
    NodeItem,
    nonfinite_note,
    place_labels,
)
from desktop.ui.simple_layout import layered_layout
from desktop.ui.theme import LIGHT, Theme

# layout_fn(snapshot) or layout_fn(snapshot, sizes={id: (w, h)}) -> {id: (x, y)} box centres
LayoutFn = Callable[..., dict[int, tuple[float, float]]]
MAX_NODES = 400  # boxes drawn at most (a big graph draws its groups collapsed first)
# above this the layout runs in a worker thread (grandalf: ~10-20 ms at 60 nodes, 0.1-0.5 s at
# 150-400); below it a worker's round trip would make every small graph flicker
ASYNC_NODES = 60
# a drawing this small is laid out here once the layout function is warm (1-2 ms): a worker's
# start and its hand-back take longer, the GUI thread waiting for the interpreter meanwhile
WARM_SYNC_NODES = 12
# below this the smallest label is under MIN_SCREEN_PX on screen: show the output end instead,
READABLE_SCALE = MIN_SCREEN_PX / SMALLEST_PX
OUTPUT_END_SCALE = 1.0  # at this scale
FIT_MIN_SCALE = 0.12  # Fit never zooms out further (a 600-node chain would be a 1-px line)
LEGEND = ("<b>box</b>: name · op · shape · <b>data</b> value · <b>grad</b> (leaf's .grad) or "
          "<b>∇</b> (grad that flowed into the op) &nbsp; <b>edge</b>: grad sent back along it "
          "(min..max when large)")


def nearest_outputs(snapshot: GraphSnapshot, limit: int) -> GraphSnapshot:
    """The ``limit`` nodes closest to the graph's outputs (breadth first from the nodes no edge
    leaves, against the edges), with the edges among them: where a user looks first (loss,
    the last layers) when the whole graph is too big to draw."""
    inputs: dict[int, list[int]] = {}
    has_users: set[int] = set()
    for e in snapshot.edges:
        inputs.setdefault(e.dst, []).append(e.src)
        has_users.add(e.src)
    order = [n.id for n in snapshot.nodes]
    queue = [i for i in reversed(order) if i not in has_users] or order[-1:]
    keep: set[int] = set()
    while queue and len(keep) < limit:
        nxt = []
        for i in queue:
            if i not in keep and len(keep) < limit:
                keep.add(i)
                nxt.extend(inputs.get(i, ()))
        queue = nxt
    return GraphSnapshot(tuple(n for n in snapshot.nodes if n.id in keep),
                         tuple(e for e in snapshot.edges if e.src in keep and e.dst in keep),
                         snapshot.note, snapshot.highlight & keep, snapshot.groups)


class _ZoomView(QGraphicsView):
    """Wheel zooms around the mouse (Netron users asked for exactly this); drag pans."""

    def __init__(self, scene: QGraphicsScene, on_click: Callable[[int | None], None]):
        super().__init__(scene)
        self._on_click = on_click
        self._on_double_click = None
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)

    def zoom(self, factor: float) -> None:
        current = self.transform().m11()
        factor = max(0.05 / current, min(6.0 / current, factor))
        self.scale(factor, factor)

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom(1.15 ** steps)

    def mouseDoubleClickEvent(self, event) -> None:
        target = None
        for item in self.items(event.position().toPoint()):  # topmost first; arrows don't count
            while item.parentItem() is not None and not isinstance(item, GroupFrame):
                item = item.parentItem()
            if isinstance(item, EdgeItem):
                continue
            if isinstance(item, (GroupItem, GroupFrame)):
                target = item
            break  # a plain box: not a group's
        if target is None or self._on_double_click is None:
            super().mouseDoubleClickEvent(event)
            return
        self._on_double_click(target)

    def mousePressEvent(self, event) -> None:
        item = self.itemAt(event.position().toPoint())
        while item is not None and not isinstance(item, NodeItem):
            item = item.parentItem()
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._on_click(item.node.id if item is not None else None)


class NodeDetail(QTextBrowser):
    """Side pane: everything known about the clicked node."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setOpenLinks(False)
        self._html: str | None = None
        self.show_node(None, None)

    def setHtml(self, text: str) -> None:
        # every Run and stop resets the pane to its hint: the same text again would only lay
        # the document out anew (a few ms on the GUI thread each time)
        if text != self._html:
            self._html = text
            super().setHtml(text)

    def show_group(self, group: NodeGroup, snapshot: GraphSnapshot) -> None:
        """A collapsed group's box: what it holds and how to open it."""
        by_id = node_index(snapshot)
        ops = counted(by_id[m].op for m in group.members if m in by_id)
        where = "—" if group.lines is None else (
            f"{group.lines[0]}" if group.lines[0] == group.lines[1]
            else f"{group.lines[0]}–{group.lines[1]}")
        rows = [("group", html.escape(group.title)), ("kind", group.kind),
                ("nodes", str(len(group.members))), ("lines", where),
                ("ops", html.escape(", ".join(ops[:12]) + (" …" if len(ops) > 12 else "")))]
        parts = [f"<div style='margin-bottom:2px'><b>{k}</b>&nbsp; {v}</div>" for k, v in rows]
        parts.append("<p><i>Double-click the box to open it; double-click an open group's "
                     "frame to close it again.</i></p>")
        self.setHtml("".join(parts))

    def show_node(self, node: GraphNode | None, snapshot: GraphSnapshot | None) -> None:
        if node is None or snapshot is None:
            self.setHtml("<p><i>Click a node to see its value, grad and saved tensors.</i></p>")
            return
        by_id = {n.id: n for n in snapshot.nodes}

        def name(i: int) -> str:
            n = by_id.get(i)
            if n is None:
                return f"#{i}"
            return html.escape(f"{n.op} ({n.label})" if n.label else n.op)

        inputs = counted(name(e.src) for e in snapshot.edges if e.dst == node.id)
        users = counted(name(e.dst) for e in snapshot.edges if e.src == node.id)
        rows = [
            ("name", html.escape(node.label or "—")),
            ("op", html.escape(node.op)),
            ("kind", node.kind.value + (" · <b>freed</b>" if node.freed else "")),
            ("shape", shape_text(node.shape)),
            ("line", str(node.line) if node.line is not None else "—"),
            *([("⚠", f"<b style='color:#d32f2f'>{nonfinite_note(node)}</b>")]
              if nonfinite_note(node) else []),
            ("next functions", ", ".join(inputs) or "—"),
            ("used by", ", ".join(users) or "—"),
        ]
        # one "key value" line each: a two-column table split op names mid-word in this
        # narrow pane ("MmBackward" / "0")
        parts = [f"<div style='margin-bottom:2px'><b>{k}</b>&nbsp; {v}</div>" for k, v in rows]
        text = "not kept" if node.value is None else long_array(node.value)
        parts.append(f"<p><b>value</b></p><pre>{html.escape(text)}</pre>")
        if node.kind == NodeKind.LEAF_GRAD:
            parts.append(f"<p><b>.grad</b></p><pre>{html.escape(long_array(node.grad))}</pre>")
        elif node.kind != NodeKind.LEAF_CONST:
            # PyTorch keeps .grad on leaves only: the op's output has .grad None (unless it
            # called retain_grad()); what the node holds is the gradient that flowed into it
            parts.append("<p><b>.grad</b> None <i>(not a leaf; retain_grad() would keep "
                         "it)</i></p>")
            if node.grad is not None:
                parts.append(f"<p><b>∇ grad that flowed into this node</b></p>"
                             f"<pre>{html.escape(long_array(node.grad))}</pre>")
        saved = "<br>".join(html.escape(s) for s in node.saved)
        if node.freed:
            saved = "<i>released after backward</i>" + ("<br>" + saved if saved else "")
        parts.append(f"<p><b>saved tensors</b><br>{saved or '—'}</p>")
        self.setHtml("".join(parts))


def _parent_chain_has(frames, key: str, ancestor: str) -> bool:
    """Whether the frame ``key`` lies inside the group ``ancestor``."""
    parents = {g.key: g.parent for g in frames}
    key = parents.get(key)
    while key is not None:
        if key == ancestor:
            return True
        key = parents.get(key)
    return False


def counted(names) -> list[str]:
    """Names in first-seen order, a repeated one once with its count ("MulBackward0 ×200")."""
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    return [f"{n} ×{k}" if k > 1 else n for n, k in counts.items()]


@functools.lru_cache(maxsize=64)  # asked at every layout; inspect.signature takes ~0.3 ms
def accepts_sizes(fn) -> bool:
    """desktop.layout.layout takes box sizes; simple hooks take the snapshot only."""
    try:
        return "sizes" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class GraphView(QWidget):
    node_selected = Signal(object)  # a node id: Python id() values overflow a C int
    layout_done = Signal()  # boxes and edges are in the scene
    _layout_ready = Signal(int, object)  # from the layout thread: (token, positions)

    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT,
                 layout_fn: LayoutFn | None = None):
        super().__init__(parent)
        self.theme = theme
        self.layout_fn: LayoutFn = layout_fn or layered_layout
        self.sync_max = ASYNC_NODES
        self.warm: Callable[[], bool] | None = None  # see set_layout_fn
        self.snapshot = GraphSnapshot()
        self.groups = GroupState()
        self.projection = Projection(self.snapshot, {}, {}, ())
        self.drawn = self.snapshot  # what the scene shows: groups collapsed, cut to MAX_NODES
        self.frames: list[GroupFrame] = []
        self.node_items: dict[int, NodeItem] = {}
        self.edge_items: list[EdgeItem] = []
        self._find_hits: list[int] = []
        self._find_text = ""
        self._token = 0  # bumps per snapshot, so a late background layout is dropped
        self._pending = None
        self.drawings = ShapeMemo()  # positions of recent drawings, for the same layout_fn
        self._notes: list[str] = []
        self._shown_notes: list[str] = []  # what the label shows (fit_readable adds one)
        self._layout_ready.connect(self._on_layout_ready, Qt.ConnectionType.QueuedConnection)

        self.scene = QGraphicsScene(self)
        self.view = _ZoomView(self.scene, self._clicked)
        self.view._on_double_click = self._double_clicked
        self.detail = NodeDetail()
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.hide()
        self.legend = QLabel(LEGEND)
        self.legend.setWordWrap(True)
        self.legend.setObjectName("graph_legend")
        self.find_field = QLineEdit(placeholderText="Find node (name or op)…")
        self.find_field.setToolTip("Find a node by variable name or op name (Enter: next match)")
        self.find_field.returnPressed.connect(lambda: self.find_node(self.find_field.text()))

        bar = QHBoxLayout()
        bar.setContentsMargins(2, 2, 2, 2)
        for text, tip, slot in (("Fit", "Fit the whole graph in view", self.fit),
                                ("+", "Zoom in (wheel up)", lambda: self.view.zoom(1.25)),
                                ("−", "Zoom out (wheel down)", lambda: self.view.zoom(0.8)),
                                ("PNG", "Export the graph as PNG…", self._export_dialog)):
            b = QToolButton(text=text, toolTip=tip)
            b.clicked.connect(slot)
            bar.addWidget(b)
        bar.addWidget(self.find_field, 1)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.view)
        self.split.addWidget(self.detail)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 1)
        self.detail.setMinimumWidth(200)
        self.split.setSizes([700, 240])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.note)
        lay.addWidget(self.split, 1)
        lay.addWidget(self.legend)
        self._apply_scene_colors()

    # ---- public API --------------------------------------------------------------------------
    def set_layout_fn(self, layout_fn: LayoutFn | None, sync_max: int = ASYNC_NODES,
                      warm: Callable[[], bool] | None = None) -> None:
        """``sync_max``: drawings of at most this many boxes are laid out on the GUI thread
        (0: always in a worker, as the app does with grandalf). ``warm()``: true once the
        layout function has nothing slow left to do on its first call (its imports are in);
        from then on drawings of up to WARM_SYNC_NODES boxes are laid out here too."""
        self.layout_fn = layout_fn or layered_layout
        self.drawings = ShapeMemo()
        self.sync_max = sync_max
        self.warm = warm
        self.set_snapshot(self.snapshot)

    def lays_out_here(self, boxes: int) -> bool:
        """Whether a drawing of ``boxes`` boxes is laid out on the GUI thread."""
        return boxes <= self.sync_max or (boxes <= WARM_SYNC_NODES and self.warm is not None
                                          and self.warm())

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._apply_scene_colors()
        self.set_snapshot(self.snapshot, keep_view=True)

    def set_snapshot(self, snapshot: GraphSnapshot, keep_view: bool = False) -> None:
        """Show ``snapshot``. A drawing ``lays_out_here`` is laid out right here; a bigger one
        in a worker thread, and the boxes appear when it is done (``layout_done``). A big
        graph is drawn with its groups collapsed (``desktop.graph_groups``)."""
        selected = self.selected_id()
        self.snapshot = snapshot
        self._token += 1
        self._find_hits = []
        drawn, notes = self.draw_plan(snapshot)
        self.drawn = drawn
        self._show_notes(notes)
        here = self.lays_out_here(len(drawn.nodes))
        if not snapshot.nodes or here:
            self._clear_scene()
        if not snapshot.nodes:
            self._show_message("No graph yet: run a script (F5) that builds one.")
            self.detail.show_node(None, None)
            return
        items = {n.id: self.make_item(n, n.id in drawn.highlight) for n in drawn.nodes}
        sizes = {i: (it.rect.width(), it.rect.height()) for i, it in items.items()}
        pending = (items, selected, keep_view, notes, drawn)
        positions = self._run_layout(drawn, sizes) if here else self.drawn_before(drawn, sizes)
        if positions is not None:
            self._place(self._token, positions, pending)
            return
        # the old drawing stays until the new one is laid out: no blank flash per step
        self._pending = pending
        self._show_notes([*notes, f"Laying out {len(drawn.nodes)} boxes…"])
        token, fn, ready = self._token, self._run_layout, self._layout_ready
        projection = self.projection  # the worker must not see a later stop's

        def work() -> None:
            positions = fn(drawn, sizes, projection)
            with contextlib.suppress(RuntimeError):  # the view was closed meanwhile
                ready.emit(token, positions)

        threading.Thread(target=work, daemon=True, name="graph-layout").start()

    def draw_plan(self, snapshot: GraphSnapshot) -> tuple[GraphSnapshot, list[str]]:
        """What the scene draws for ``snapshot`` (collapsed groups as single boxes, then cut to
        MAX_NODES nearest the output) and the notes above it; sets ``self.projection``."""
        notes = [snapshot.note] if snapshot.note else []
        self.projection = self.groups.project(snapshot)
        drawn = self.projection.graph
        if self.projection.boxes:
            notes.append(f"{len(snapshot.nodes)} nodes, drawn as {len(drawn.nodes)} boxes: "
                         f"double-click a group to open it.")
        if len(drawn.nodes) > MAX_NODES:
            count = len(drawn.nodes)
            drawn = nearest_outputs(drawn, MAX_NODES)
            notes.append(f"This graph has {count} {'boxes' if self.projection.boxes else 'nodes'}"
                         f": the {MAX_NODES} nearest its output are drawn, to keep the window "
                         f"responsive.")
        return drawn, notes

    def make_item(self, node: GraphNode, highlighted: bool) -> NodeItem:
        group = self.projection.boxes.get(node.id)
        if group is not None:
            return GroupItem(node, group, self.theme, highlighted=highlighted)
        return NodeItem(node, self.theme, highlighted=highlighted)

    def drawn_id(self, node_id):
        """The id of the box that shows ``node_id`` (its collapsed group's, or its own)."""
        return self.projection.drawn_id.get(node_id, node_id)

    def set_group_open(self, key: str, is_open: bool) -> None:
        """Open or close a group (by its key) and draw the graph again, view kept."""
        self.groups.set_open(key, is_open)
        self.set_snapshot(self.snapshot, keep_view=True)

    def _double_clicked(self, item) -> None:
        if isinstance(item, GroupItem):
            self.set_group_open(item.group.key, True)
        elif isinstance(item, GroupFrame):
            self.set_group_open(item.group.key, False)

    def draw_frames(self) -> None:
        """A titled frame around each open group of a big graph (double-click: close it)."""
        for f in self.frames:
            self.scene.removeItem(f)
        self.frames = []
        items = self.node_items
        frames = self.projection.frames
        keys = {g.key for g in frames}
        depth = {}
        for g in frames:  # parents come first (the projection goes by depth)
            depth[g.key] = depth.get(g.parent, -1) + 1 if g.parent in keys else 0
        outline: dict[str, QRectF] = {}
        for g in sorted(frames, key=lambda g: -depth[g.key]):  # inner frames first
            inside = [items[i].sceneBoundingRect()
                      for i in {self.drawn_id(m) for m in g.members} if i in items]
            inside += [r for k, r in outline.items() if k in keys and
                       _parent_chain_has(frames, k, g.key)]
            if len(inside) < 2:
                continue
            rect = inside[0]
            for r in inside[1:]:
                rect = rect.united(r)
            frame = GroupFrame(g, rect, self.theme)  # its outline encloses inner frames'
            outline[g.key] = frame.sceneBoundingRect()
            self.scene.addItem(frame)
            self.frames.append(frame)

    def _clusters(self, snapshot: GraphSnapshot, projection=None) -> list:
        projection = self.projection if projection is None else projection
        return clusters_of(projection.frames, projection.drawn_id,
                           {n.id for n in snapshot.nodes})

    def _run_layout(self, snapshot: GraphSnapshot, sizes, projection=None) -> dict:
        """Positions for ``snapshot`` (drawn under ``projection``, default the current one):
        each open group's boxes are laid out together, so its frame holds only them."""
        try:
            if not accepts_sizes(self.layout_fn):  # it cannot make room for a group's block
                return self.layout_fn(snapshot)
            clusters = self._clusters(snapshot, projection)
            key = (shape_of(snapshot, sizes), frames_of(snapshot, clusters))
            positions = self.drawings.get(key, snapshot)
            if positions is None:
                positions = framed_layout(self._flat_layout, snapshot, sizes, clusters)
                self.drawings.put(key, snapshot, positions)
            return positions
        except Exception:  # a broken layout must not lose the graph: fall back
            return layered_layout(snapshot)

    def drawn_before(self, drawn: GraphSnapshot, sizes) -> dict | None:
        """The positions of a drawing of this shape laid out lately (placed at once), or None."""
        if not accepts_sizes(self.layout_fn):
            return None
        key = (shape_of(drawn, sizes), frames_of(drawn, self._clusters(drawn)))
        return self.drawings.get(key, drawn)

    def _flat_layout(self, snapshot: GraphSnapshot, sizes) -> dict:
        return self.layout_fn(snapshot, sizes=sizes)

    def _on_layout_ready(self, token: int, positions) -> None:
        if token == self._token and self._pending is not None:  # else a newer snapshot won
            pending, self._pending = self._pending, None
            self._place(token, positions, pending)

    def _clear_scene(self) -> None:
        self.scene.clear()
        self.node_items, self.edge_items, self.frames = {}, [], []

    def _place(self, token: int, positions, pending) -> None:
        items, selected, keep_view, notes, snapshot = pending
        self._clear_scene()
        self._show_notes(notes)
        for nid, item in items.items():
            x, y = positions.get(nid, (0.0, 0.0))
            item.setPos(QPointF(x, y))
            self.scene.addItem(item)
        self.node_items = items
        for e in snapshot.edges:
            if e.src in items and e.dst in items:
                edge = EdgeItem(e, items[e.src], items[e.dst], self.theme)
                self.scene.addItem(edge)
                self.edge_items.append(edge)
        place_labels(list(items.values()), self.edge_items)
        self.draw_frames()
        self.scene.setSceneRect(self.scene.itemsBoundingRect().adjusted(-40, -40, 40, 40))
        if self.drawn_id(selected) in self.node_items:
            self.select_node(selected, center=False)
        else:
            self.detail.show_node(None, None)
        if not keep_view:
            self.fit_readable()
        self.layout_done.emit()

    @property
    def laying_out(self) -> bool:
        """A layout is running in a worker; the boxes come with ``layout_done``."""
        return self._pending is not None

    # ---- in-place updates (desktop.ui.graph_patch builds them from these) --------------------
    @property
    def notes(self) -> list[str]:
        """The lines shown above the drawing (the graph's note, grouping, the size cut)."""
        return list(self._notes)

    def show_notes(self, notes: list[str]) -> None:
        self._show_notes(notes)

    def layout_positions(self, drawn: GraphSnapshot, sizes) -> dict:
        """Box centres for ``drawn`` by the view's layout function, here and now."""
        return self._run_layout(drawn, sizes)

    def adopt(self, snapshot: GraphSnapshot, drawn: GraphSnapshot,
              node_items: dict[int, NodeItem], edge_items: list[EdgeItem]) -> None:
        """Take over a drawing of ``snapshot`` (as ``drawn``) whose items are in the scene
        already: a layout still running for an older snapshot will not replace it, and Find
        starts over."""
        self.snapshot, self.drawn = snapshot, drawn
        self.node_items, self.edge_items = node_items, edge_items
        self._token += 1
        self._pending = None
        self._find_hits = []

    def selected_id(self) -> int | None:
        for nid, item in self.node_items.items():
            if item.isSelected():
                return nid
        return None

    def select_node(self, node_id: int, center: bool = True) -> None:
        if self.laying_out:  # selected once the boxes are placed
            self._pending = (*self._pending[:1], node_id, *self._pending[2:])
        item = self.node_items.get(self.drawn_id(node_id))
        if item is None:
            return
        self.scene.clearSelection()
        item.setSelected(True)
        if center:
            self.view.centerOn(item)
        self.show_detail(item)

    def show_detail(self, item: NodeItem | None) -> None:
        if item is None:
            self.detail.show_node(None, None)
        elif isinstance(item, GroupItem):
            self.detail.show_group(item.group, self.snapshot)
        else:
            self.detail.show_node(item.node, self.drawn)

    def find_node(self, text: str) -> int | None:
        """Select the next node whose name or op contains ``text``; exact names come first,
        then the boxes of collapsed groups holding a match."""
        text = text.strip().lower()
        if not text:
            return None
        if text != self._find_text or not self._find_hits:
            exact = [i for i, it in self.node_items.items() if it.node.label.lower() == text]
            partial = [i for i, it in self.node_items.items() if i not in exact and (
                text in it.node.label.lower() or text in it.node.op.lower())]
            # a match inside a collapsed group: its box (opening it is a double-click away)
            inside = dict.fromkeys(
                self.drawn_id(n.id) for n in self.snapshot.nodes
                if n.id in self.projection.drawn_id and
                (text in n.label.lower() or text in n.op.lower()))
            inside = [i for i in inside if i in self.node_items and i not in exact + partial]
            self._find_hits, self._find_text = exact + partial + inside, text
        if not self._find_hits:
            self.find_field.setStyleSheet("color: #c62828;")
            return None
        self.find_field.setStyleSheet("")
        node_id = self._find_hits.pop(0)
        self._find_hits.append(node_id)  # rotate, so Enter again goes to the next match
        self.select_node(node_id, center=False)
        self.reveal(node_id, zoom=True)
        self.node_selected.emit(node_id)
        return node_id

    def reveal(self, node_id, zoom: bool = False) -> bool:
        """Bring a node into view: centred when it is (partly) outside the visible area, and,
        with ``zoom``, at a readable scale first. Returns whether the view moved."""
        item = self.node_items.get(self.drawn_id(node_id))
        if item is None:
            return False
        moved = False
        if zoom and self.view.transform().m11() < READABLE_SCALE:
            self.view.resetTransform()
            self.view.scale(OUTPUT_END_SCALE, OUTPUT_END_SCALE)
            moved = True
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        if moved or not visible.contains(item.sceneBoundingRect()):
            self.view.centerOn(item)
            moved = True
        return moved

    def clear_find(self) -> None:
        """Empty the Find field (its text was about another program's graph)."""
        self.find_field.clear()
        self.find_field.setStyleSheet("")
        self._find_hits, self._find_text = [], ""

    def fit(self) -> None:
        self._show_notes(self._notes)  # drops fit_readable's "output end" note
        rect = self.scene.itemsBoundingRect()
        if rect.isEmpty():
            return
        self.view.resetTransform()
        self.view.fitInView(rect.adjusted(-20, -20, 20, 20), Qt.AspectRatioMode.KeepAspectRatio)
        scale = self.view.transform().m11()
        if scale > 1.5 or scale < FIT_MIN_SCALE:  # a tiny graph should not fill the screen,
            self.view.resetTransform()  # nor a huge one shrink to a hairline
            keep = 1.5 if scale > 1.5 else FIT_MIN_SCALE
            self.view.scale(keep, keep)
            self.view.centerOn(rect.center())

    def fit_readable(self) -> None:
        """Fit, unless that makes the labels too small to read (a deep graph becomes a hairline):
        then show the output end (the loss, usually what matters first) at a readable scale."""
        self.fit()
        if not self.node_items or self.view.transform().m11() >= READABLE_SCALE:
            return
        used = {e.src for e in self.drawn.edges}
        outputs = [it for i, it in self.node_items.items() if i not in used] or \
            list(self.node_items.values())
        target = max(outputs, key=lambda it: it.pos().y())
        self.view.resetTransform()
        self.view.scale(OUTPUT_END_SCALE, OUTPUT_END_SCALE)
        self.view.centerOn(target)
        note = (f"Showing the output end of {len(self.node_items)} boxes; scroll to zoom, drag "
                f"to pan, Fit shows the whole graph.")
        notes = self._notes
        self._show_notes([*notes, note])
        self._notes = notes

    def render_image(self, scale: float = 2.0) -> QImage:
        rect = self.scene.itemsBoundingRect().adjusted(-20, -20, 20, 20)
        if rect.isEmpty():
            rect = QRectF(0, 0, 200, 100)
        scale = min(scale, 8000 / max(rect.width(), rect.height()))
        img = QImage(max(1, int(rect.width() * scale)), max(1, int(rect.height() * scale)),
                     QImage.Format.Format_ARGB32_Premultiplied)
        img.fill(QColor(self.theme.scene))
        p = QPainter(img)
        p.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.scene.render(p, QRectF(img.rect()), rect)
        p.end()
        return img

    def export_png(self, path: str) -> bool:
        return self.render_image().save(path, "PNG")

    # ---- internals ---------------------------------------------------------------------------
    def _clicked(self, node_id: int | None) -> None:
        if node_id is None:
            self.detail.show_node(None, None)
            return
        self.show_detail(self.node_items[node_id])
        self.node_selected.emit(node_id)

    def _show_message(self, text: str) -> None:
        """A hint in the middle of an empty view, at 1:1 whatever the last graph's zoom was."""
        item = self.scene.addText(text)
        item.setDefaultTextColor(QColor(self.theme.muted))
        self.scene.setSceneRect(item.boundingRect())
        self.view.resetTransform()
        self.view.centerOn(item)

    def _show_notes(self, notes: list[str]) -> None:
        self._notes = list(notes)
        if notes != self._shown_notes:  # the label set again re-lays out the panel
            self._shown_notes = list(notes)
            self.note.setText("\n".join(notes))
            self.note.setVisible(bool(notes))

    def _apply_scene_colors(self) -> None:
        self.scene.setBackgroundBrush(QColor(self.theme.scene))

    def _export_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self, "Export graph as PNG", "graph.png",
                                              "PNG image (*.png)")
        if path:
            self.export_png(path)
