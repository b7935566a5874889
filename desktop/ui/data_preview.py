"""The builder's data preview: the points the generated code will train on (y against x for
one input; the two inputs coloured by label for the 2-D classifier; the first input when
there are several)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.builder import ModelSpec, preview_data


class DataPreview(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMinimumHeight(150)
        self.scatter = [pg.ScatterPlotItem(size=5, brush=pg.mkBrush(c), pen=None)
                        for c in ("#1f77b4", "#d62728")]
        for s in self.scatter:
            self.plot.addItem(s)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("<b>Data preview</b>"))
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.caption)
        self.shown: tuple[np.ndarray, np.ndarray] | None = None
        self._follow_palette()

    def _follow_palette(self) -> None:
        # pyqtgraph paints black by default whatever the theme: take the dialog's palette
        pal = self.palette()
        base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
        muted = pal.color(QPalette.ColorRole.PlaceholderText)
        self.plot.setBackground(base)
        for name in ("left", "bottom"):
            axis = self.plot.getPlotItem().getAxis(name)
            axis.setPen(muted)
            axis.setTextPen(text)
            if axis.labelText:
                axis.setLabel(axis.labelText, color=text.name())
        self._label_color = text.name()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._follow_palette()
        super().changeEvent(event)

    def show_spec(self, spec: ModelSpec | None) -> None:
        for s in self.scatter:
            s.setData([], [])
        if spec is None or spec.problems():
            self.shown = None
            self.caption.setText("(fix the form to see its data)")
            return
        X, y = preview_data(spec)
        self.shown = (X, y)
        y0 = y[:, 0] if y.ndim == 2 else y
        if spec.template == "classifier":
            for label, s in enumerate(self.scatter):
                pts = X[(y0 > 0.5) == bool(label)]
                s.setData(pts[:, 0], pts[:, 1])
            self.plot.setLabel("bottom", "X[:, 0]", color=self._label_color)
            self.plot.setLabel("left", "X[:, 1]", color=self._label_color)
            self.caption.setText(f"{len(X)} points · blue: class 0, red: class 1")
        else:
            self.scatter[0].setData(X[:, 0], y0)
            self.plot.setLabel("bottom", "X[:, 0]", color=self._label_color)
            left = "y" if y.ndim == 1 or y.shape[1] == 1 else "y[:, 0]"
            self.plot.setLabel("left", left, color=self._label_color)
            extra = f" (first of {X.shape[1]} inputs)" if X.shape[1] > 1 else ""
            self.caption.setText(f"{len(X)} samples{extra}")
        self.plot.autoRange()
