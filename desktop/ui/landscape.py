"""Loss landscape view (pyqtgraph): the loss over (w, b) as a heatmap with contour lines, the
current point, the path taken so far, and an arrow along the negative gradient.

Feed it ``desktop.builder.Landscape`` objects: ``set_landscape`` draws the surface (keep its
ranges fixed while training so the picture stays put), ``set_point`` moves the point and the
arrow as the user steps or trains; ``update_from_namespace`` does both from a script's
``X, y, w, b``.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.builder import Landscape, ModelSpec, landscape_from_namespace
from desktop.ui import pyside_refcount
from desktop.ui.theme import LIGHT, Theme

pyside_refcount.apply()  # PySide6 6.12 drops refs to None/True on calls (see module)

ARROW_FRACTION = 0.15  # longest arrow, as a fraction of the plot's diagonal
STEEP_QUANTILE = 0.9  # |gradient| drawn at full length: this quantile over the picture
CONTOURS = 10
HEAD_PX = 18  # arrows shorter than this on screen are drawn without a head


def steep_gradient(land: Landscape) -> float:
    """A gradient size typical of the picture's steep parts. Arrows are scaled against the
    picture, not against the first point shown: a model shown first when already trained
    would otherwise get a full-length arrow for a rounding-sized gradient."""
    if len(land.w) < 2 or len(land.b) < 2:
        return math.hypot(*land.neg_grad) or 1.0
    with np.errstate(invalid="ignore"):
        db, dw = np.gradient(land.loss, land.b, land.w)  # rows follow b
        norms = np.hypot(dw, db)
    norms = norms[np.isfinite(norms)]
    ref = float(np.quantile(norms, STEEP_QUANTILE)) if norms.size else 0.0
    return ref if ref > 0 else (math.hypot(*land.neg_grad) or 1.0)


EMPTY_CAPTION = ("The loss over (w, b) appears here after a run of a model with one weight and "
                 "one bias (Tools → Model Builder: linear or logistic regression, 1 input).")


class LandscapeView(QWidget):
    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "w")
        self.plot.setLabel("left", "b")
        self.plot.setMenuEnabled(False)
        self.image = pg.ImageItem()
        cmap = pg.colormap.get("viridis")
        self.image.setColorMap(cmap)
        self.plot.addItem(self.image)
        # the scale of the heatmap: it shows log(1 + loss)
        self.colorbar = pg.ColorBarItem(colorMap=cmap, label="log(1 + loss)",
                                        interactive=False)
        self.colorbar.setImageItem(self.image, insert_in=self.plot.getPlotItem())
        # created once and re-used with new data: cheaper than rebuilding the items each time
        self.contours = [pg.IsocurveItem(pen=pg.mkPen("#ffffff", width=0.7))
                         for _ in range(CONTOURS)]
        for curve in self.contours:
            curve.setParentItem(self.image)  # maps grid indexes to (w, b) like the image
        self.path = pg.PlotDataItem(pen=pg.mkPen("#ffffff", width=1.5), symbol="o",
                                    symbolSize=4, symbolBrush="#ffffff")
        self.arrow_line = pg.PlotDataItem(pen=pg.mkPen(theme.accent, width=3))
        self.arrow_head = pg.ArrowItem(angle=0, headLen=HEAD_PX - 4, tipAngle=35,
                                       brush=theme.accent, pen=pg.mkPen(theme.accent))
        self.point_item = pg.ScatterPlotItem(size=11, brush=pg.mkBrush(theme.accent),
                                             pen=pg.mkPen("#000000"))
        for item in (self.path, self.arrow_line, self.arrow_head, self.point_item):
            item.setZValue(10)
            self.plot.addItem(item)
            item.hide()
        self.caption = QLabel(EMPTY_CAPTION)
        self.caption.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.caption)
        self.landscape: Landscape | None = None
        self.trail: list[tuple[float, float]] = []
        self.arrow_end: tuple[float, float] | None = None
        self.grad_ref = 1.0  # |gradient| drawn at full arrow length
        self.clear()  # the empty state until a landscape is drawn

    # --- drawing ---
    def set_landscape(self, land: Landscape, keep_trail: bool = False) -> None:
        """Draw the surface and the point. The heatmap shows log(1 + loss) so that the valley
        floor keeps its detail next to steep walls."""
        self.landscape = land
        shown = np.log1p(np.maximum(land.loss, 0.0))
        self.plot.show()
        self.image.setImage(shown.T, autoLevels=True)  # ImageItem indexes [x, y]
        finite_levels = shown[np.isfinite(shown)]
        if finite_levels.size:
            self.colorbar.setLevels((float(finite_levels.min()), float(finite_levels.max())))
        w0, w1, b0, b1 = land.w[0], land.w[-1], land.b[0], land.b[-1]
        self.image.setRect(QRectF(w0, b0, w1 - w0, b1 - b0))
        finite = shown[np.isfinite(shown)]
        if finite.size and np.ptp(finite) > 0:
            levels = np.quantile(finite, np.linspace(0.05, 0.9, CONTOURS))
            for curve, level in zip(self.contours, levels, strict=True):
                curve.setData(shown.T, float(level))
        else:
            for curve in self.contours:
                curve.setData(None)
        self.plot.setRange(xRange=(w0, w1), yRange=(b0, b1), padding=0)
        if not keep_trail:
            self.trail = []
        self.grad_ref = steep_gradient(land)
        self.set_point(land.point, land.neg_grad, land.point_loss)

    def set_point(self, point: tuple[float, float], neg_grad: tuple[float, float],
                  loss: float | None = None) -> None:
        w, b = float(point[0]), float(point[1])
        if not self.trail or self.trail[-1] != (w, b):
            self.trail.append((w, b))
        xs, ys = zip(*self.trail, strict=True)
        self.path.setData(list(xs), list(ys))
        self.point_item.setData([w], [b])
        self.path.show()
        self.point_item.show()
        gw, gb = float(neg_grad[0]), float(neg_grad[1])
        norm = math.hypot(gw, gb)
        if norm == 0 or not math.isfinite(norm) or self.landscape is None:
            self.arrow_end = None
            self.arrow_line.hide()
            self.arrow_head.hide()
        else:
            land = self.landscape
            diag = math.hypot(land.w[-1] - land.w[0], land.b[-1] - land.b[0])
            # full length on the picture's steep parts, shorter as the loss flattens
            length = ARROW_FRACTION * diag * min(1.0, norm / self.grad_ref)
            end = (w + gw / norm * length, b + gb / norm * length)
            self.arrow_end = end
            self.arrow_line.setData([w, end[0]], [b, end[1]])
            self.arrow_line.show()
            # ArrowItem angles are in screen space (y down) and point back along the shaft
            self.arrow_head.setVisible(self._aim_head(w, b, end))
        loss_text = "" if loss is None else f"loss {loss:.6g}   "
        self.caption.setText(f"{loss_text}w = {w:.4g}, b = {b:.4g}   "
                             f"−∇loss = ({gw:.4g}, {gb:.4g})")

    def show_run(self, namespace: dict, spec: ModelSpec | None, points) -> None:
        """After a finished run: the surface framed to hold the path the run took (its (w, b)
        at each backward() call) as well as the valley, with that path drawn to the end point."""
        land = self.landscape
        if land is None or not points:
            return
        inside = all(land.w[0] <= w <= land.w[-1] and land.b[0] <= b <= land.b[-1]
                     for w, b in points)
        if not inside:
            # centred on the point, so that it is a grid node and the valley floor is drawn
            w0, b0 = land.point
            rw = 1.08 * max([abs(p[0] - w0) for p in points] + [w0 - land.w[0], land.w[-1] - w0])
            rb = 1.08 * max([abs(p[1] - b0) for p in points] + [b0 - land.b[0], land.b[-1] - b0])
            wider = landscape_from_namespace(namespace, spec, w_range=(w0 - rw, w0 + rw),
                                             b_range=(b0 - rb, b0 + rb),
                                             resolution=len(land.w))
            if wider is not None:
                self.set_landscape(wider)
        self.show_trail(points)

    def show_trail(self, points) -> None:
        """Draw ``points`` as the path taken, ending at the current point."""
        if self.landscape is None or not points:
            return
        current = self.trail[-1:] if self.trail else []
        self.trail = [(float(w), float(b)) for w, b in points]
        if current and self.trail[-1] != current[0]:
            self.trail.append(current[0])
        xs, ys = zip(*self.trail, strict=True)
        self.path.setData(list(xs), list(ys))
        self.path.show()

    def _aim_head(self, w: float, b: float, end: tuple[float, float]) -> bool:
        """Point the head along the arrow; False when the shaft is too short to carry it."""
        vb = self.plot.getPlotItem().getViewBox()
        start_px = vb.mapViewToScene(pg.Point(w, b))
        end_px = vb.mapViewToScene(pg.Point(*end))
        dx, dy = end_px.x() - start_px.x(), end_px.y() - start_px.y()
        laid_out = vb.width() > 1
        if not laid_out:  # no pixels yet: aim in data space (y up, scene y down)
            dx, dy = end[0] - w, -(end[1] - b)
        self.arrow_head.setStyle(angle=180 + math.degrees(math.atan2(dy, dx)))
        self.arrow_head.setPos(*end)
        return not laid_out or math.hypot(dx, dy) > HEAD_PX

    def clear(self) -> None:
        self.landscape = None
        self.trail = []
        self.arrow_end = None
        self.image.clear()
        for curve in self.contours:
            curve.setData(None)
        for item in (self.path, self.arrow_line, self.point_item, self.arrow_head):
            item.hide()
        # an empty state, not a black plot with the last model's axes and caption
        self.plot.hide()
        self.caption.setText(EMPTY_CAPTION)

    # --- from a script's state ---
    def update_from_tensors(self, tensors, spec: ModelSpec | None = None) -> bool:
        """``update_from_namespace`` for snapshot data (``RunResult.tensors`` or a debugger
        stop's ``tensors``), e.g. on every step or when stepping back."""
        return self.update_from_namespace({t.name: t.value for t in tensors}, spec)

    def update_from_namespace(self, namespace: dict, spec: ModelSpec | None = None) -> bool:
        """Redraw for the script's current ``X, y, w, b``: the first call draws the surface,
        later ones with the same data only move the point (ranges stay fixed). Returns False
        (and leaves the view alone) when the namespace has no two-parameter model."""
        kwargs = {}
        if self.landscape is not None:
            kwargs = {"w_range": (self.landscape.w[0], self.landscape.w[-1]),
                      "b_range": (self.landscape.b[0], self.landscape.b[-1]),
                      "resolution": len(self.landscape.w)}
        land = landscape_from_namespace(namespace, spec, **kwargs)
        if land is None:
            return False
        if self.landscape is None:
            self.set_landscape(land)
        elif np.array_equal(land.loss, self.landscape.loss):  # same data: the point moved
            self.landscape = land
            self.set_point(land.point, land.neg_grad, land.point_loss)
        else:  # new data: frame its own valley
            self.set_landscape(landscape_from_namespace(namespace, spec))
        return True
