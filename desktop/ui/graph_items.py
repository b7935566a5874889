"""Scene items for the autograd graph: one box per node, one arrow per edge."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSimpleTextItem,
    QStyleOptionGraphicsItem,
)

from desktop.model import GraphEdge, GraphNode, NodeKind
from desktop.ui.formatting import (
    long_array,
    nonfinite_counts,
    shape_text,
    short_array,
    summary_range,
)
from desktop.ui.theme import Theme

_PAD_X, _PAD_Y = 10.0, 6.0
_MAX_TEXT = 190.0  # elide long labels so the fallback layout's fixed spacing stays readable
# Text sizes in scene pixels (independent of the desktop's point size): the view never opens a
# graph below MIN_SCREEN_PX / SMALLEST_PX scale, so every label is at least MIN_SCREEN_PX tall.
NAME_PX, OP_PX, SMALLEST_PX = 15, 14, 13
MIN_SCREEN_PX = 11.0
LOD_SCALE = 0.55  # below this a box shows its name only, drawn large enough to read


def _px_font(px: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPixelSize(px)
    f.setBold(bold)
    return f


_FONTS: dict = {}


def _fonts() -> tuple[QFont, QFont, QFont, dict]:
    """The three box fonts and their metrics, made once (a box per node made its own: a
    measurable share of drawing a 1,000-node graph)."""
    if not _FONTS:
        fonts = (_px_font(NAME_PX, bold=True), _px_font(OP_PX), _px_font(SMALLEST_PX))
        _FONTS["fonts"] = fonts
        _FONTS["metrics"] = {id(f): QFontMetricsF(f) for f in fonts}
    return (*_FONTS["fonts"], _FONTS["metrics"])


# what boxes, labels and frames show: the printable ASCII and the few other characters used
WARM_TEXT = "".join(map(chr, range(32, 127))) + "·×–…→∇▸▾⚠"


def warm_fonts() -> None:
    """Lay out and paint ``WARM_TEXT`` once in each box font, offscreen: the first graph drawn
    otherwise pays for the fonts' glyphs and metrics itself (~15 ms on the first Run)."""
    image = QImage(64, 64, QImage.Format.Format_ARGB32_Premultiplied)
    p = QPainter(image)
    try:
        for font in _fonts()[:3]:
            p.setFont(font)
            p.drawText(QPointF(0, 32), WARM_TEXT)
            QFontMetricsF(font).elidedText(WARM_TEXT, Qt.TextElideMode.ElideRight, 40)
    finally:
        p.end()


class LazyTip:
    """Tooltips built on first hover, not with the item: an edge's tooltip formats its whole
    grad (``numpy.array2string``), about half the cost of placing a big graph up front."""

    _tip_done = False

    def hoverEnterEvent(self, event) -> None:
        if not self._tip_done:
            self._tip_done = True
            QGraphicsItem.setToolTip(self, self.tooltip_text())
        super().hoverEnterEvent(event)

    def toolTip(self) -> str:  # noqa: N802 -- Qt's name; what the tooltip shows (or will)
        return self.tooltip_text()

    def tooltip_text(self) -> str:
        raise NotImplementedError


def compact(arr) -> str:
    """A value or grad in a few characters: a number, up to three numbers, else min..max
    (the shape is on the box)."""
    if arr is None:
        return "None"
    a = np.asarray(arr)
    if a.size == 0:
        return "[]"
    if a.size == 1:
        return f"{float(a.reshape(())):.4g}"
    if a.size <= 3:
        return "[" + ", ".join(f"{float(v):.3g}" for v in a.ravel()) + "]"
    return summary_range(a)


def value_lines(node: GraphNode) -> list[str]:
    """The micrograd-style rows under the box's title: ``data`` and ``grad``. A leaf's grad is
    its ``.grad``; an op's is the gradient that flowed into it (``∇``): its ``.grad`` stays
    None, as in PyTorch, unless it called ``retain_grad()``."""
    rows = []
    if node.value is not None:
        rows.append("data " + compact(node.value))
    if node.kind == NodeKind.LEAF_GRAD:
        rows.append("grad " + compact(node.grad))
    elif node.grad is not None and node.kind != NodeKind.LEAF_CONST:
        rows.append("∇ " + compact(node.grad))
    return rows


def node_fill(theme: Theme, node: GraphNode) -> str:
    if node.freed:
        return theme.node_freed
    return {
        NodeKind.LEAF_GRAD: theme.node_leaf_grad,
        NodeKind.LEAF_CONST: theme.node_leaf_const,
        NodeKind.OP: theme.node_op,
        NodeKind.CUSTOM: theme.node_custom,
    }[node.kind]


def nonfinite_note(node: GraphNode) -> str:
    """'NaN in value, Inf in grad'-style text, or '' when every number is finite."""
    parts = []
    for what, arr in (("value", node.value), ("grad", node.grad)):
        nan, inf = nonfinite_counts(arr)
        kinds = "/".join(k for k, n in (("NaN", nan), ("Inf", inf)) if n)
        if kinds:
            parts.append(f"{kinds} in {what}")
    return ", ".join(parts)


def node_lines(node: GraphNode) -> list[str]:
    """Variable name (when known), op name, shape: what the box says, top to bottom; a ⚠ on
    the shape line when a value or grad is NaN or infinite."""
    lines = [node.label] if node.label else []
    lines.append(node.op + (" (freed)" if node.freed else ""))
    bad = nonfinite_note(node)
    kinds = "/".join(k for k in ("NaN", "Inf") if k in bad)  # the details are in the tooltip
    lines.append(shape_text(node.shape) + (f"  ⚠ {kinds}" if bad else ""))
    return lines


class NodeItem(LazyTip, QGraphicsItem):
    def __init__(self, node: GraphNode, theme: Theme, highlighted: bool = False):
        super().__init__()
        self.node = node
        self.theme = theme
        self.highlighted = highlighted
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setZValue(1)
        self.bold, self.plain, self.small, metrics = _fonts()
        self.lines = self.box_lines()
        self.values = value_lines(node)
        self.nonfinite = nonfinite_note(node)
        self._fonts = ([self.bold] if len(self.lines) == 3 else []) + [self.plain, self.small]
        texts = list(zip(self._fonts, self.lines, strict=True)) + \
            [(self.small, v) for v in self.values]
        width = max(metrics[id(f)].horizontalAdvance(t) for f, t in texts)
        height = sum(metrics[id(f)].height() for f, _ in texts)
        if self.values:
            height += 4  # the rule between title and values
        w = max(100.0, min(width, _MAX_TEXT)) + 2 * _PAD_X
        h = height + 2 * _PAD_Y
        self.rect = QRectF(-w / 2, -h / 2, w, h)

    def box_lines(self) -> list[str]:
        return node_lines(self.node)

    def tooltip_text(self) -> str:
        n = self.node
        parts = [" · ".join(self.lines)]
        if n.value is not None:
            parts.append("value: " + short_array(n.value, 60))
        if n.grad is not None:
            parts.append("grad: " + short_array(n.grad, 60))
        if n.line is not None:
            parts.append(f"line {n.line}")
        if self.nonfinite:
            parts.append("⚠ " + self.nonfinite)
        return "\n".join(parts)

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-3, -3, 3, 3)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.rect, 6, 6)
        return path

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        t = self.theme
        n = self.node
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        border = QPen(QColor(t.muted if n.freed else t.node_border), 1.2)
        if n.freed:
            border.setStyle(Qt.PenStyle.DashLine)
        if self.nonfinite:
            border = QPen(QColor(t.stderr), 2.5)
        if self.isSelected():
            border = QPen(QColor(t.highlight), 2.5)
        p.setPen(border)
        p.setBrush(QBrush(QColor(node_fill(t, n))))
        radius = 12 if n.kind in (NodeKind.LEAF_GRAD, NodeKind.LEAF_CONST) else 5
        p.drawRoundedRect(self.rect, radius, radius)
        if self.highlighted:  # accent ring outside the box so it shows together with selection
            p.setPen(QPen(QColor(t.accent), 3))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(self.rect.adjusted(-2, -2, 2, 2), radius + 2, radius + 2)
        text_color = QColor(t.text)
        if n.freed:  # dimmed, but still readable on the freed fill in either theme
            text_color.setAlphaF(0.78)
        p.setPen(text_color)
        scale = option.levelOfDetailFromTransform(p.worldTransform())
        if scale < LOD_SCALE:
            self._paint_name_only(p, scale)
            return
        y = self.rect.top() + _PAD_Y
        for font, text in zip(self._fonts, self.lines, strict=True):
            y = self._text_row(p, font, text, y)
        if self.values:
            y += 2
            rule = QPen(QColor(t.muted if n.freed else t.node_border), 0.8)
            p.save()
            p.setPen(rule)
            p.drawLine(QPointF(self.rect.left() + 1, y), QPointF(self.rect.right() - 1, y))
            p.restore()
            y += 2
            for text in self.values:
                y = self._text_row(p, self.small, text, y)

    def _text_row(self, p: QPainter, font: QFont, text: str, y: float) -> float:
        fm = QFontMetricsF(font)
        p.setFont(font)
        box = QRectF(self.rect.left() + 4, y, self.rect.width() - 8, fm.height())
        p.drawText(box, Qt.AlignmentFlag.AlignCenter,
                   fm.elidedText(text, Qt.TextElideMode.ElideRight, box.width()))
        return y + fm.height()

    def short_name(self) -> str:
        """What the box says when zoomed out."""
        return self.node.label or self.node.op.removesuffix("Backward0")

    def _paint_name_only(self, p: QPainter, scale: float) -> None:
        """Level of detail for a zoomed-out graph: the name (or op) only, in a font that
        stays MIN_SCREEN_PX tall on screen as far as the box allows."""
        px = min(MIN_SCREEN_PX / max(scale, 1e-3), self.rect.height() * 0.8)
        text = self.short_name()
        font = _px_font(max(1, int(px)), bold=True)
        fm = QFontMetricsF(font)
        room = self.rect.width() - 6
        wide = fm.horizontalAdvance(text)
        if wide > room:  # a little smaller rather than cut off at the box's edges ("#21–4")
            font = _px_font(max(1, int(px * max(0.75, room / wide))), bold=True)
            fm = QFontMetricsF(font)
        p.setFont(font)
        p.drawText(self.rect, Qt.AlignmentFlag.AlignCenter,
                   fm.elidedText(text, Qt.TextElideMode.ElideRight, self.rect.width() * 1.6))


def _clip_to_rect(inside: QPointF, outside: QPointF, rect: QRectF) -> QPointF:
    """Where the segment from a box's centre towards ``outside`` leaves the box."""
    dx, dy = outside.x() - inside.x(), outside.y() - inside.y()
    if dx == 0 and dy == 0:
        return inside
    tx = (rect.width() / 2) / abs(dx) if dx else math.inf
    ty = (rect.height() / 2) / abs(dy) if dy else math.inf
    t = min(tx, ty, 1.0)
    return QPointF(inside.x() + dx * t, inside.y() + dy * t)


def edge_text(grad) -> str:
    """An edge's label: the grad sent back along it; a few numbers inline, else min..max
    (the shape is on the boxes, the legend says what the numbers are)."""
    text = short_array(grad)
    return text if len(text) <= 28 and not text.startswith("[") or \
        np.asarray(grad).size <= 3 else compact(grad)


class GradLabel(LazyTip, QGraphicsSimpleTextItem):
    """An edge's grad text on a backing of the scene's colour (readable where arrows cross
    it), hidden when zoomed out past the level of detail."""

    def __init__(self, text: str, theme: Theme, parent):
        super().__init__(text, parent)
        self.theme = theme
        self.setBrush(QColor(theme.grad_label))
        self.setFont(_fonts()[2])
        self.setZValue(2)
        self.setAcceptHoverEvents(True)

    def tooltip_text(self) -> str:
        return self.parentItem().tooltip_text()

    def paint(self, p: QPainter, option, widget=None) -> None:
        if option.levelOfDetailFromTransform(p.worldTransform()) < LOD_SCALE:
            return
        back = QColor(self.theme.scene)
        back.setAlphaF(0.85)
        p.fillRect(self.boundingRect().adjusted(-2, 0, 2, 0), back)
        super().paint(p, option, widget)


def place_labels(nodes: list, edges: list) -> int:
    """Move edge labels off boxes and off each other: each tries a few spots along its edge
    and on either side; returns how many still overlap something. A grid of buckets keeps it
    near linear for big graphs."""
    cell = 120.0
    grid: dict[tuple[int, int], list[QRectF]] = {}

    def keys(r: QRectF):
        for gx in range(int(r.left() // cell), int(r.right() // cell) + 1):
            for gy in range(int(r.top() // cell), int(r.bottom() // cell) + 1):
                yield gx, gy

    def add(r: QRectF) -> None:
        for k in keys(r):
            grid.setdefault(k, []).append(r)

    def free(r: QRectF) -> bool:
        return not any(o.intersects(r) for k in keys(r) for o in grid.get(k, ()))

    for n in nodes:
        add(n.sceneBoundingRect())
    clashes = 0
    for e in edges:
        label = e.grad_label
        if label is None:
            continue
        box = label.boundingRect()
        path = e.path()
        placed = None
        for t in (0.4, 0.3, 0.5, 0.22, 0.6, 0.7, 0.15, 0.8):
            at = path.pointAtPercent(t)
            for dx in (e.label_side, -box.width() - 4 if e.label_side > 0 else 4):
                r = QRectF(at.x() + dx, at.y() - box.height() / 2, box.width(), box.height())
                if free(r.adjusted(-2, -1, 2, 1)):
                    placed = r
                    break
            if placed is not None:
                break
        if placed is None:
            clashes += 1
            placed = label.sceneBoundingRect()
        label.setPos(e.mapFromScene(placed.topLeft()))
        add(placed.adjusted(-2, -1, 2, 1))
    return clashes


class EdgeItem(LazyTip, QGraphicsPathItem):
    """Arrow in the direction data flowed forward (src -> dst); after backward the grad that
    flowed back along it is written at its middle and in its tooltip."""

    ARROW = 9.0
    LONG_EDGE = 240.0  # vertical run (scene px) past which an edge skips at least two layers
    LANE = 36.0  # how far beside the boxes such an edge runs

    def __init__(self, edge: GraphEdge, src: NodeItem, dst: NodeItem, theme: Theme):
        super().__init__()
        self.edge = edge
        self.theme = theme
        a_c, b_c = src.pos(), dst.pos()
        a = _clip_to_rect(a_c, b_c, src.rect.translated(a_c))
        b = _clip_to_rect(b_c, a_c, dst.rect.translated(b_c))
        tail = a  # the arrow head points along tail -> b
        run = b_c.y() - a_c.y()
        if abs(run) > self.LONG_EDGE:
            # An edge that skips layers would run straight through the boxes between its ends
            # (a leaf used by every step of a loop hides behind the chain): it leaves its box
            # sideways, runs down a lane beside the boxes and enters the target from the side.
            side = -1.0 if b_c.x() < a_c.x() else 1.0
            a = a_c + QPointF(side * src.rect.width() / 2, 0)
            b = b_c + QPointF(side * dst.rect.width() / 2, 0)
            lane = (max if side > 0 else min)(a.x(), b.x()) + side * self.LANE
            r = math.copysign(min(30.0, abs(run) / 3), run)
            path = QPainterPath(a)
            path.quadTo(QPointF(lane, a.y()), QPointF(lane, a.y() + r))
            path.lineTo(QPointF(lane, b.y() - r))
            tail = QPointF(lane, b.y())
            path.quadTo(tail, b)
        else:
            path = QPainterPath(a)
            path.lineTo(b)
        at = path.pointAtPercent(0.4)  # where the grad label goes, before the arrow is added
        line = QLineF(b, tail)
        if line.length() > 0:
            unit = line.unitVector()
            d = QPointF(unit.dx(), unit.dy()) * self.ARROW
            normal = QPointF(-d.y(), d.x()) * 0.5
            path.moveTo(b)
            path.lineTo(b + d + normal)
            path.moveTo(b)
            path.lineTo(b + d - normal)
        self.setPath(path)
        color = QColor(theme.muted if (src.node.freed or dst.node.freed) else theme.edge)
        self.setPen(QPen(color, 1.4))
        self.setZValue(0)
        self.grad_label: GradLabel | None = None
        self.label_side = 4.0
        self.setAcceptHoverEvents(True)
        self.names = f"{src.node.label or src.node.op} → {dst.node.label or dst.node.op}"
        if edge.grad is not None:
            self.grad_label = GradLabel(edge_text(edge.grad), theme, self)
            box = self.grad_label.boundingRect()
            # Nearer the source than the middle, on the outer side of the edge: labels of
            # edges converging on one op start apart; ``place_labels`` then moves any label
            # that still overlaps a box or another label.
            dx = -box.width() - 4 if (b.x() - a.x()) > 1 else 4
            self.grad_label.setPos(at + QPointF(dx, -box.height() / 2))
            self.label_side = dx

    def tooltip_text(self) -> str:
        if self.edge.grad is None:
            return self.names
        return f"{self.names}\ngrad that flowed back:\n{long_array(self.edge.grad)}"

    def shape(self) -> QPainterPath:
        # A hairline is nearly impossible to hover; widen the hit area for the grad tooltip.
        stroker = QPainterPathStroker()
        stroker.setWidth(8)
        return stroker.createStroke(self.path())


def short_title(title: str) -> str:
    """A group's title in a few characters, for a zoomed-out box: "iteration 7 of 40" -> "#7",
    "iterations 1–10" -> "#1–10", "model.0 (Linear)" -> "model.0", "loop line 5 ×40" ->
    "loop ×40", "f() · line 3" -> "f()"."""
    words = title.split()
    if words[0] in ("iteration", "call") and len(words) == 4:
        return f"#{words[1]}"
    if words[0] in ("iterations", "calls") and len(words) == 2:
        return f"#{words[1]}"
    if words[0] == "loop" and len(words) >= 2:
        return f"loop {words[-1]}"
    return title.split(" (")[0].split(" · ")[0]


class GroupItem(NodeItem):
    """A collapsed group (module, function call, loop, iteration) drawn as one box, stacked
    like a deck so it reads as "more inside"; double-click opens it."""

    def __init__(self, node: GraphNode, group, theme: Theme, highlighted: bool = False):
        self.group = group
        super().__init__(node, theme, highlighted)

    def box_lines(self) -> list[str]:
        return [self.group.title, self.node.op, "▸ double-click to open"]

    def tooltip_text(self) -> str:
        return f"{self.group.title}\n{self.node.op}\ndouble-click to open"

    def short_name(self) -> str:
        return short_title(self.group.title)

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-3, -3, 9, 9)

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        t = self.theme
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(t.node_border), 1.0))
        p.setBrush(QBrush(QColor(t.node_custom)))
        for k in (6, 3):  # the deck behind the box
            p.drawRoundedRect(self.rect.translated(k, k), 5, 5)
        super().paint(p, option, widget)


class GroupFrame(QGraphicsPathItem):
    """An open group of a big graph: a titled frame behind its boxes; double-click closes it."""

    def __init__(self, group, rect: QRectF, theme: Theme):
        super().__init__()
        self.group = group
        self.theme = theme
        rect = rect.adjusted(-12, -30, 12, 12)
        path = QPainterPath()
        path.addRoundedRect(rect, 10, 10)
        self.setPath(path)
        color = QColor(theme.accent)
        self.setPen(QPen(color, 1.2, Qt.PenStyle.DashLine))
        fill = QColor(theme.accent)
        fill.setAlphaF(0.05)
        self.setBrush(QBrush(fill))
        self.setZValue(-1)
        self.title = QGraphicsSimpleTextItem(f"{group.title}  ▾", self)
        self.title.setFont(_fonts()[2])
        self.title.setBrush(color)
        self.title.setPos(rect.left() + 8, rect.top() + 6)
        self.setToolTip(f"{group.title}: double-click to close")
