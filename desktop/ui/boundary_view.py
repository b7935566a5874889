"""The Decision Boundary panel: p(class 1) as a heatmap with a colour bar, the 0.5 contour
and the data points coloured by label (``desktop.decision_boundary``)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.decision_boundary import Boundary
from desktop.ui.theme import LIGHT, Theme

EMPTY = ("Run a classifier from the model builder (Tools → Model Builder → Classifier on 2-D "
         "points) and its decision boundary appears here.")


class BoundaryView(QWidget):
    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setLabel("bottom", "x[:, 0]")
        self.plot.setLabel("left", "x[:, 1]")
        self.plot.setAspectLocked(True)
        self.image = pg.ImageItem()
        cmap = pg.colormap.get("CET-D1")
        self.image.setColorMap(cmap)
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=cmap, label="p(class 1)",
                                        interactive=False)
        self.colorbar.setImageItem(self.image, insert_in=self.plot.getPlotItem())
        self.contour = pg.IsocurveItem(level=0.5, pen=pg.mkPen("#000000", width=2))
        self.contour.setParentItem(self.image)
        self.points = [pg.ScatterPlotItem(size=6, brush=pg.mkBrush(c), pen=pg.mkPen("#ffffff"))
                       for c in ("#1f77b4", "#d62728")]
        for s in self.points:
            s.setZValue(10)
            self.plot.addItem(s)
        self.caption = QLabel(EMPTY)
        self.caption.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.caption)
        self.boundary: Boundary | None = None
        self.clear()

    def clear(self) -> None:
        self.boundary = None
        self.image.clear()
        self.contour.setData(None)
        for s in self.points:
            s.setData([], [])
        self.plot.hide()
        self.caption.setText(EMPTY)

    def set_boundary(self, b: Boundary) -> None:
        self.boundary = b
        self.plot.show()
        self.image.setImage(b.p.T, levels=(0.0, 1.0))
        x0, x1, y0, y1 = b.xs[0], b.xs[-1], b.ys[0], b.ys[-1]
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self.contour.setData(b.p.T)
        for label, scatter in enumerate(self.points):
            pts = b.points[(b.labels > 0.5) == bool(label)]
            scatter.setData(pts[:, 0], pts[:, 1])
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self.caption.setText(f"Decision boundary (black: p = 0.5) · blue: class 0, red: class 1 "
                             f"· training accuracy {b.accuracy:.1%}")

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
