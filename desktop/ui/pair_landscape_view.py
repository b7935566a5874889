"""Loss landscape over two chosen parameter elements (pyqtgraph): two choosers listing every
scalar element of the model's parameters (``W1[0, 1]``, ``b2[0]``…), the loss over a grid
around their current values with the others fixed (``desktop.param_landscape``), a colour bar,
the current point and the path the two elements took over the updates this view was shown.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.builder import ModelSpec
from desktop.param_landscape import (
    PARAMS,
    Element,
    PairLandscape,
    pair_landscape,
    params_of,
    scalar_elements,
)
from desktop.ui import pyside_refcount

pyside_refcount.apply()  # PySide6 6.12 drops refs to None/True on calls (see that module)

EMPTY_TEXT = ("The loss over two parameter elements of your model appears here after a run "
              "(Tools → Model Builder, then F5). Choose the two elements above the plot.")


class PairLandscapeView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.first = QComboBox(toolTip="The element along the horizontal axis")
        self.second = QComboBox(toolTip="The element along the vertical axis")
        bar = QHBoxLayout()
        bar.setContentsMargins(2, 2, 2, 2)
        for text, box in (("x:", self.first), ("y:", self.second)):
            bar.addWidget(QLabel(text))
            bar.addWidget(box, 1)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.image = pg.ImageItem()
        cmap = pg.colormap.get("viridis")
        self.image.setColorMap(cmap)
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(colorMap=cmap, label="log(1 + loss)", interactive=False)
        self.colorbar.setImageItem(self.image, insert_in=self.plot.getPlotItem())
        self.path_item = pg.PlotDataItem(pen=pg.mkPen("#ffffff", width=1.5), symbol="o",
                                         symbolSize=4, symbolBrush="#ffffff")
        self.point_item = pg.ScatterPlotItem(size=11, brush=pg.mkBrush("#ff7043"),
                                             pen=pg.mkPen("#000000"))
        for item in (self.path_item, self.point_item):
            item.setZValue(10)
            self.plot.addItem(item)
        self.caption = QLabel(EMPTY_TEXT)
        self.caption.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.caption)
        self.namespace: dict | None = None
        self.spec: ModelSpec | None = None
        self.landscape: PairLandscape | None = None
        self.trail: list[tuple[float, float]] = []
        self.first.currentIndexChanged.connect(self._choice_changed)
        self.second.currentIndexChanged.connect(self._choice_changed)
        self.clear()

    # --- state ---
    def chosen(self) -> tuple[Element, Element] | None:
        a, b = self.first.currentData(), self.second.currentData()
        return (a, b) if a is not None and b is not None else None

    def choose(self, a: str, b: str) -> None:
        """Pick the two elements by label, e.g. ``choose("W1[0, 1]", "b2[0]")``."""
        for box, label in ((self.first, a), (self.second, b)):
            i = box.findText(label)
            if i < 0:
                raise ValueError(f"{label!r} is not an element of the model")
            box.setCurrentIndex(i)

    def clear(self) -> None:
        """The empty state: no choosers, no plot, a hint (before a run, or for another
        program)."""
        self.namespace = self.spec = self.landscape = None
        self.trail = []
        for box in (self.first, self.second):
            box.blockSignals(True)
            box.clear()
            box.setEnabled(False)
            box.blockSignals(False)
        self.image.clear()
        self.path_item.setData([], [])
        self.point_item.setData([], [])
        self.plot.hide()
        self.caption.setText(EMPTY_TEXT)

    def update_from_namespace(self, namespace: dict, spec: ModelSpec) -> bool:
        """Show the run's (or a debugger stop's) parameters; the choice and, while it stays
        the same, the path are kept across updates. False when there is no model to show."""
        params = params_of(namespace, spec) if spec.template in PARAMS else None
        if params is None:
            return False
        elements = scalar_elements(params)
        labels = [e.label for e in elements]
        if labels != [self.first.itemText(i) for i in range(self.first.count())]:
            keep = self.chosen()
            for box in (self.first, self.second):
                box.blockSignals(True)
                box.clear()
                for e in elements:
                    box.addItem(e.label, e)
                box.setEnabled(True)
                box.blockSignals(False)
            default = (elements[0], elements[-1]) if len(elements) > 1 else None
            pick = keep if keep and keep[0] in elements and keep[1] in elements else default
            if pick is None:
                self.caption.setText("The model has a single scalar parameter: nothing to plot "
                                     "against it.")
                return False
            self.first.blockSignals(True)
            self.second.blockSignals(True)
            self.first.setCurrentIndex(elements.index(pick[0]))
            self.second.setCurrentIndex(elements.index(pick[1]))
            self.first.blockSignals(False)
            self.second.blockSignals(False)
            self.trail = []
        self.namespace, self.spec = namespace, spec
        self._redraw()
        return True

    # --- drawing ---
    def _choice_changed(self) -> None:
        self.trail = []
        if self.namespace is not None:
            self._redraw()

    def _redraw(self) -> None:
        pair = self.chosen()
        if pair is None or self.namespace is None or self.spec is None:
            return
        a, b = pair
        if a == b:
            self.plot.hide()
            self.caption.setText(f"Choose two different elements (both are {a.label}).")
            return
        land = pair_landscape(self.namespace, self.spec, a, b, path=self.trail)
        if land is None:
            return
        self.landscape = land
        self.trail = list(land.path)
        shown = np.log1p(np.maximum(land.loss, 0.0))
        self.image.setImage(shown.T, autoLevels=True)  # ImageItem indexes [x, y]
        finite = shown[np.isfinite(shown)]
        if finite.size:
            self.colorbar.setLevels((float(finite.min()), float(finite.max())))
        x0, x1, y0, y1 = land.xs[0], land.xs[-1], land.ys[0], land.ys[-1]
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        xs, ys = zip(*land.path, strict=True)
        self.path_item.setData(list(xs), list(ys))
        self.point_item.setData([land.point[0]], [land.point[1]])
        self.plot.setLabel("bottom", a.label)
        self.plot.setLabel("left", b.label)
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self.plot.show()
        self.caption.setText(f"loss {land.point_loss:.6g} at {a.label} = {land.point[0]:.4g}, "
                             f"{b.label} = {land.point[1]:.4g}; the other elements fixed")


def show_pair_landscape(owner, namespace: dict, spec: ModelSpec) -> bool:
    """The builder's model with more than two parameters: its two-element landscape, in a
    panel beside ``owner.window``'s graph made on first use (kept as ``owner.pair_landscape``)."""
    view = owner.pair_landscape
    if view is None:
        if params_of(namespace, spec) is None:
            return False
        from PySide6.QtCore import Qt

        view = owner.pair_landscape = PairLandscapeView()
        owner.window.add_panel("pair_landscape", "Loss over Two Elements", view,
                               area=Qt.DockWidgetArea.RightDockWidgetArea,
                               tabify_with="graph")
    shown = view.update_from_namespace(namespace, spec)
    if shown:
        owner.window.docks["pair_landscape"].show()
    return shown
