"""Symbolic panel: a clear "not computed" state, the Compute/Cancel buttons, the area where the
backward pass is shown as rendered equations (scrolled inside the dock) and the three-way table;
``symbolic_view.SymbolicView`` fills them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.math_view import MathLabel
from desktop.ui.theme import LIGHT, Theme

COLUMNS = ("leaf", "closed form", "symbolic", "engine", "finite diff.", "agree")
NOT_COMPUTED = "Symbolic check not computed."
EQUATION_SIZE = 16.0  # the chain's equations, in points (the selected element's formula: 20)


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
        # the backward pass in matrix notation: one rendered equation per line, scrolled
        # inside the dock (a wide formula must not force the window wider)
        self.chain_box = QWidget()
        self.chain_layout = QVBoxLayout(self.chain_box)
        self.chain_layout.setContentsMargins(0, 0, 0, 0)
        self.chain_layout.addWidget(self.formula)
        self.chain_layout.addStretch(1)
        self.math_area = QScrollArea()
        self.math_area.setWidget(self.chain_box)
        self.math_area.setWidgetResizable(True)
        self.math_area.setFrameShape(QFrame.Shape.NoFrame)
        self.math_area.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.math_area.setMinimumHeight(60)
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
        lay.addWidget(self.math_area, 1)
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
        self.set_equations([])
        self.compute.setEnabled(False)
        self.cancel.setEnabled(False)

    def set_equations(self, equations) -> None:
        """Show ``[(latex, plain text), ...]`` one per line above the selected element's form."""
        while self.chain_layout.count() > 2:  # keep the element's formula and the stretch
            item = self.chain_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for k, (latex, plain) in enumerate(equations):
            label = MathLabel(color=self.theme.text, size=EQUATION_SIZE)
            label.set_math(latex, plain=plain)
            self.chain_layout.insertWidget(k, label)
        self.equations = list(equations)

    def set_ready(self, ready: bool) -> None:
        """Enable Compute once a run has produced something to check."""
        self.compute.setEnabled(ready)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.formula.set_color(theme.text)
