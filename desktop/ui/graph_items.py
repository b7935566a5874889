"""Scene items for the autograd graph: one box per node, one arrow per edge."""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
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
from desktop.ui.formatting import long_array, nonfinite_counts, shape_text, short_array
from desktop.ui.theme import Theme

_PAD_X, _PAD_Y = 10.0, 6.0
_MAX_TEXT = 170.0  # elide long labels so the fallback layout's fixed spacing stays readable


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


class NodeItem(QGraphicsItem):
    def __init__(self, node: GraphNode, theme: Theme, highlighted: bool = False):
        super().__init__()
        self.node = node
        self.theme = theme
        self.highlighted = highlighted
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setZValue(1)
        self.bold = QFont()
        self.bold.setBold(True)
        self.plain = QFont()
        self.small = QFont()
        self.small.setPointSizeF(max(6.0, self.plain.pointSizeF() - 1))
        self.lines = node_lines(node)
        self.nonfinite = nonfinite_note(node)
        self._fonts = ([self.bold] if node.label else []) + [self.plain, self.small]
        width = max(QFontMetricsF(f).horizontalAdvance(t) for f, t in zip(self._fonts, self.lines,
                                                                           strict=True))
        height = sum(QFontMetricsF(f).height() for f in self._fonts)
        w = max(90.0, min(width, _MAX_TEXT)) + 2 * _PAD_X
        h = height + 2 * _PAD_Y
        self.rect = QRectF(-w / 2, -h / 2, w, h)
        self.setToolTip(self._tooltip())

    def _tooltip(self) -> str:
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
        p.setPen(QColor(t.muted if n.freed else t.text))
        y = self.rect.top() + _PAD_Y
        for font, text in zip(self._fonts, self.lines, strict=True):
            fm = QFontMetricsF(font)
            p.setFont(font)
            box = QRectF(self.rect.left() + 4, y, self.rect.width() - 8, fm.height())
            elided = fm.elidedText(text, Qt.TextElideMode.ElideRight, box.width())
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, elided)
            y += fm.height()


def _clip_to_rect(inside: QPointF, outside: QPointF, rect: QRectF) -> QPointF:
    """Where the segment from a box's centre towards ``outside`` leaves the box."""
    dx, dy = outside.x() - inside.x(), outside.y() - inside.y()
    if dx == 0 and dy == 0:
        return inside
    tx = (rect.width() / 2) / abs(dx) if dx else math.inf
    ty = (rect.height() / 2) / abs(dy) if dy else math.inf
    t = min(tx, ty, 1.0)
    return QPointF(inside.x() + dx * t, inside.y() + dy * t)


class EdgeItem(QGraphicsPathItem):
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
        self.grad_label: QGraphicsSimpleTextItem | None = None
        names = f"{src.node.label or src.node.op} → {dst.node.label or dst.node.op}"
        if edge.grad is not None:
            self.grad_label = QGraphicsSimpleTextItem(short_array(edge.grad), self)
            self.grad_label.setBrush(QColor(theme.grad_label))
            f = QFont()
            f.setPointSizeF(max(6.0, f.pointSizeF() - 1.5))
            self.grad_label.setFont(f)
            # Nearer the source than the middle: edges converging on one op (Y_hat = mm + b)
            # would otherwise stack their labels on top of each other just above the op.
            # Put it on the outer side: left of an edge running down-right, right otherwise,
            # so the labels of two edges that converge on one op end up apart.
            box = self.grad_label.boundingRect()
            dx = -box.width() - 4 if (b.x() - a.x()) > 1 else 4
            self.grad_label.setPos(at + QPointF(dx, -box.height() / 2))
            tip = f"{names}\ngrad that flowed back:\n{long_array(edge.grad)}"
            self.grad_label.setToolTip(tip)
            self.setToolTip(tip)
        else:
            self.setToolTip(names)

    def shape(self) -> QPainterPath:
        # A hairline is nearly impossible to hover; widen the hit area for the grad tooltip.
        stroker = QPainterPathStroker()
        stroker.setWidth(8)
        return stroker.createStroke(self.path())
