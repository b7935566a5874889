"""Symbolic panel: for now a clear "not computed" state; the three-way check table
(closed form, symbolic value, engine value, finite difference, badge) will fill it once
symbolic/ and its worker are wired in by the integrator."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.math_view import MathLabel
from desktop.ui.theme import LIGHT, Theme

COLUMNS = ("leaf", "closed form", "symbolic", "engine", "finite diff.", "agree")
NOT_COMPUTED = "Symbolic check not computed."


class SymbolicPanel(QWidget):
    compute_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.state.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        # its wrapped height is a minimum: in a short dock the table shrinks, not this text
        self.state.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.compute = QPushButton("Compute", toolTip="Run the three-way gradient check")
        self.compute.clicked.connect(self.compute_requested)
        self.cancel = QPushButton("Cancel", toolTip="Cancel the running symbolic check")
        self.cancel.clicked.connect(self.cancel_requested)
        self.cancel.setEnabled(False)
        self.formula = MathLabel(color=theme.text)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.state, 1)
        row.addWidget(self.compute)
        row.addWidget(self.cancel)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.formula)
        lay.addWidget(self.table, 1)
        self.set_not_computed()

    def set_not_computed(self, reason: str = "") -> None:
        """The resting state: nothing computed yet (or the last result no longer applies)."""
        self.state.setText(f"<b>{NOT_COMPUTED}</b><br>" + (
            reason or "Run the script (F5), then press Compute: each gradient of its "
                      "backward() calls is compared three ways, the engine's value against "
                      "sympy's closed form and a finite-difference estimate."))
        self.table.setRowCount(0)
        self.table.setEnabled(False)
        self.formula.clear()
        self.compute.setEnabled(False)
        self.cancel.setEnabled(False)

    def set_ready(self, ready: bool) -> None:
        """Enable Compute once a run has produced something to check."""
        self.compute.setEnabled(ready)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.formula.set_color(theme.text)
