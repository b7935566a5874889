"""Shows one array the way its size allows: a grid of numbers, a heatmap, or statistics only.

pyqtgraph is imported only when the first heatmap is needed: it costs ~1 s of start-up.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.formatting import nonfinite_counts, number_text, shape_text, summary_text
from desktop.ui.theme import LIGHT, Theme

GRID_MAX = 200  # elements: small enough to read every number
HEATMAP_MAX = 1_000_000  # beyond this even a heatmap costs seconds; show statistics


def as_2d(a: np.ndarray) -> np.ndarray:
    """Scalars become 1x1, vectors a column (as in maths), higher ranks fold leading dims."""
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(-1, 1)
    return a.reshape(-1, a.shape[-1])


class TensorDisplay(QWidget):
    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self.mode = "none"
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.stack = QStackedWidget()
        self.empty = QLabel("Select a tensor above.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.grid = QTableWidget()
        self.grid.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.grid.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.summary = QPlainTextEdit(readOnly=True)
        self.heatmap = None  # pyqtgraph PlotWidget, built on first use
        self.image = None
        for w in (self.empty, self.grid, self.summary):
            self.stack.addWidget(w)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.header)
        lay.addWidget(self.stack, 1)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme

    def clear(self) -> None:
        """Nothing selected (as opposed to a selected tensor whose grad is None)."""
        self.mode = "none"
        self.header.setText("")
        self.empty.setText("Select a tensor above.")
        self.stack.setCurrentWidget(self.empty)

    def show_array(self, arr: np.ndarray | None, what: str = "value",
                   none_reason: str = "") -> None:
        if arr is None:
            self.mode = "none"
            self.header.setText(f"{what}: None")
            self.empty.setText(f"{what} is None: {none_reason}" if none_reason else
                               f"No {what}." if what != "grad" else
                               "grad is None (not a leaf, or backward() has not reached it).")
            self.stack.setCurrentWidget(self.empty)
            return
        a = np.asarray(arr)
        nan, inf = nonfinite_counts(a)
        head = f"{what}: {shape_text(a.shape)} {a.dtype}"
        if nan or inf:
            head += f"  <b style='color:{self.theme.stderr}'>⚠ {nan} NaN, {inf} Inf</b>"
        self.header.setText(head)
        if a.size <= GRID_MAX:
            self._show_grid(a)
        elif a.size <= HEATMAP_MAX and a.dtype.kind in "fciub":
            self._show_heatmap(a)
        else:
            self.mode = "summary"
            self.summary.setPlainText("Too large to display element by element.\n\n"
                                      + summary_text(a))
            self.stack.setCurrentWidget(self.summary)

    def _show_grid(self, a: np.ndarray) -> None:
        self.mode = "grid"
        m = as_2d(a)
        self.grid.clear()
        self.grid.setRowCount(m.shape[0])
        self.grid.setColumnCount(m.shape[1])
        # 0-based headers, like tensor indexing
        self.grid.setVerticalHeaderLabels([str(i) for i in range(m.shape[0])])
        self.grid.setHorizontalHeaderLabels([str(j) for j in range(m.shape[1])])
        bad_bg = QColor(self.theme.error_line)
        bad_fg = QColor(self.theme.stderr)
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                v = m[i, j]
                item = QTableWidgetItem(number_text(v) if a.dtype.kind in "fiub" else str(v))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if a.dtype.kind == "f" and not np.isfinite(v):
                    item.setBackground(bad_bg)
                    item.setForeground(bad_fg)
                self.grid.setItem(i, j, item)
        self.grid.resizeColumnsToContents()
        self.stack.setCurrentWidget(self.grid)

    def _show_heatmap(self, a: np.ndarray) -> None:
        import pyqtgraph as pg

        if self.heatmap is None:
            self.heatmap = pg.PlotWidget()
            self.heatmap.invertY(True)  # row 0 at the top, as in the grid
            self.heatmap.setAspectLocked(False)
            self.image = pg.ImageItem(axisOrder="row-major")
            self.image.setColorMap(pg.colormap.get("viridis"))
            self.heatmap.addItem(self.image)
            self.stack.addWidget(self.heatmap)
        self.mode = "heatmap"
        self.heatmap.setBackground(self.theme.base)  # pyqtgraph's default black ignores themes
        for axis in ("left", "bottom"):
            ax = self.heatmap.getPlotItem().getAxis(axis)
            ax.setPen(self.theme.muted)
            ax.setTextPen(self.theme.text)
        m = as_2d(a).astype(np.float64)
        finite = np.isfinite(m)
        lo, hi = (m[finite].min(), m[finite].max()) if finite.any() else (0.0, 1.0)
        # Non-finite cells get the bottom colour; the header already counts them in red.
        m = np.where(finite, m, lo)
        self.image.setImage(m, levels=(lo, hi if hi > lo else lo + 1))
        # the range goes in the header line: a plot title would take a third of a short panel
        self.header.setText(f"{self.header.text()}  ·  colour scale: min {number_text(lo)} "
                            f"(dark) to max {number_text(hi)} (yellow)")
        self.heatmap.autoRange()
        self.stack.setCurrentWidget(self.heatmap)
