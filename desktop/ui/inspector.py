"""Inspector: every tensor of the script's namespace, the selected one's value and grad, and
watch expressions (evaluated by the callback given to ``set_evaluator``)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.model import TensorInfo
from desktop.ui.formatting import nonfinite_counts, shape_text, short_array
from desktop.ui.tensor_display import TensorDisplay
from desktop.ui.theme import LIGHT, Theme
from desktop.ui.variables_view import VariablesView

COLUMNS = ("name", "shape", "dtype", "requires_grad", "is_leaf", "grad_fn", "grad")
NOT_EVALUATED = "(run to evaluate)"
EMPTY_HINT = "No tensors yet: run a script (F5) and every tensor it names appears here."


class Inspector(QWidget):
    tensor_selected = Signal(str)
    watches_changed = Signal(list)
    # a watch value that arrived after the evaluator's short wait; emitted from a worker thread
    late_watch_value = Signal(str, str)

    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self.tensors: tuple[TensorInfo, ...] = ()
        self.evaluate: Callable[[str], str] | None = None
        self.late_watch_value.connect(self._set_late_value, Qt.ConnectionType.QueuedConnection)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._on_select)
        # an empty table says what fills it, instead of a blank box
        self.empty_hint = QLabel(EMPTY_HINT, self.table.viewport())
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.table.viewport().installEventFilter(self)

        self.value_view = TensorDisplay(theme=theme)
        self.grad_view = TensorDisplay(theme=theme)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.value_view, "Value")
        self.tabs.addTab(self.grad_view, "Grad")
        self.variables_view = VariablesView()  # every name of the frame, not only tensors
        self.tabs.addTab(self.variables_view, "Variables")

        self.watch_table = QTableWidget(0, 2)
        self.watch_table.setHorizontalHeaderLabels(("watch", "value"))
        self.watch_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.watch_table.verticalHeader().hide()
        self.watch_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.watch_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents)
        self.watch_table.horizontalHeader().setStretchLastSection(True)
        self.watch_field = QLineEdit(placeholderText="Add a watch, e.g. w.grad.norm()")
        self.watch_field.returnPressed.connect(self._add_from_field)
        add = QPushButton("Add", toolTip="Add the expression as a watch (Enter)")
        add.clicked.connect(self._add_from_field)
        remove = QPushButton("Remove", toolTip="Remove the selected watch (Delete)")
        remove.clicked.connect(self.remove_selected_watch)
        row = QHBoxLayout()
        row.addWidget(self.watch_field, 1)
        row.addWidget(add)
        row.addWidget(remove)
        watch_box = QWidget()
        wl = QVBoxLayout(watch_box)
        wl.setContentsMargins(0, 0, 0, 0)
        wl.addLayout(row)
        wl.addWidget(self.watch_table)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.tabs)
        split.addWidget(watch_box)
        # the variables first: the selected one's value needs less room than the list
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setStretchFactor(2, 1)
        split.setSizes([260, 170, 100])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(split)

    # ---- tensors -----------------------------------------------------------------------------
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.value_view.set_theme(theme)
        self.grad_view.set_theme(theme)
        self.set_tensors(self.tensors)

    def set_tensors(self, tensors) -> None:
        selected = self.selected_name()
        self.tensors = tuple(tensors)
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.tensors))
        for r, t in enumerate(self.tensors):
            cells = (t.name, shape_text(t.shape), t.dtype, str(t.requires_grad), str(t.is_leaf),
                     t.grad_fn or "None", short_array(t.grad, 30))
            problems = self._problems(t)
            grad_bad = any(nonfinite_counts(t.grad))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if problems and (c == 0 or (c == 6 and grad_bad)):
                    item.setForeground(QColor(self.theme.stderr))
                    item.setToolTip(problems)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        names = [t.name for t in self.tensors]
        if selected not in names:
            # Qt keeps the old row index selected; it would now point at another tensor
            self.table.clearSelection()
            self.table.setCurrentItem(None)
        self.table.blockSignals(False)
        self.empty_hint.setVisible(not self.tensors)
        if selected in names:
            self.select(selected)
        else:
            self.value_view.clear()
            self.grad_view.clear()

    @staticmethod
    def _problems(t: TensorInfo) -> str:
        out = []
        for what, arr in (("value", t.value), ("grad", t.grad)):
            nan, inf = nonfinite_counts(arr)
            if nan or inf:
                out.append(f"{what} has {nan} NaN and {inf} Inf")
        return "; ".join(out)

    def set_variables(self, variables) -> None:
        """The frame's variables of every type (``desktop.variables.VarInfo``)."""
        self.variables_view.set_variables(variables)

    def row_texts(self) -> list[list[str]]:
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return item.text() if item else None

    def select(self, name: str) -> bool:
        for r, t in enumerate(self.tensors):
            if t.name == name:
                self.table.selectRow(r)
                self._on_select()
                return True
        return False

    def _on_select(self) -> None:
        name = self.selected_name()
        t = next((t for t in self.tensors if t.name == name), None)
        if t is None:
            return
        self.value_view.show_array(t.value, "value")
        self.grad_view.show_array(t.grad, "grad", none_reason=self._why_no_grad(t))
        self.tensor_selected.emit(t.name)

    @staticmethod
    def _why_no_grad(t: TensorInfo) -> str:
        if not t.requires_grad:
            return f"{t.name} does not require grad, so nothing is accumulated into it."
        if not t.is_leaf:
            return (f"{t.name} is not a leaf: backward() keeps .grad only on leaves "
                    f"(call {t.name}.retain_grad() before backward to keep it).")
        return f"backward() has not reached {t.name} yet."

    def eventFilter(self, obj, event) -> bool:
        if obj is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self.empty_hint.setGeometry(self.table.viewport().rect().adjusted(8, 8, -8, -8))
        return super().eventFilter(obj, event)

    # ---- watches -----------------------------------------------------------------------------
    @property
    def watches(self) -> list[str]:
        return [self.watch_table.item(r, 0).text() for r in range(self.watch_table.rowCount())]

    def set_evaluator(self, evaluate: Callable[[str], str] | None) -> None:
        self.evaluate = evaluate
        self.refresh_watches()

    def add_watch(self, expr: str) -> None:
        expr = expr.strip()
        if not expr or expr in self.watches:
            return
        r = self.watch_table.rowCount()
        self.watch_table.insertRow(r)
        self.watch_table.setItem(r, 0, QTableWidgetItem(expr))
        self.watch_table.setItem(r, 1, QTableWidgetItem(self._eval(expr)))
        self.watches_changed.emit(self.watches)

    def set_watches(self, expressions) -> None:
        """Replace every watch at once (a session's): one pass, one ``watches_changed``."""
        unique = list(dict.fromkeys(e.strip() for e in expressions if e.strip()))
        table = self.watch_table
        table.setUpdatesEnabled(False)
        try:
            table.setRowCount(0)
            table.setRowCount(len(unique))
            for r, expr in enumerate(unique):
                table.setItem(r, 0, QTableWidgetItem(expr))
                table.setItem(r, 1, QTableWidgetItem(self._eval(expr)))
        finally:
            table.setUpdatesEnabled(True)
        self.watches_changed.emit(self.watches)

    def remove_watch(self, expr: str) -> None:
        for r in range(self.watch_table.rowCount()):
            if self.watch_table.item(r, 0).text() == expr:
                self.watch_table.removeRow(r)
                self.watches_changed.emit(self.watches)
                return

    def remove_selected_watch(self) -> None:
        rows = sorted({i.row() for i in self.watch_table.selectedIndexes()}, reverse=True)
        for r in rows:
            self.watch_table.removeRow(r)
        if rows:
            self.watches_changed.emit(self.watches)

    def watch_values(self) -> dict[str, str]:
        return {self.watch_table.item(r, 0).text(): self.watch_table.item(r, 1).text()
                for r in range(self.watch_table.rowCount())}

    def refresh_watches(self) -> None:
        for r in range(self.watch_table.rowCount()):
            expr = self.watch_table.item(r, 0).text()
            self.watch_table.setItem(r, 1, QTableWidgetItem(self._eval(expr)))

    def deliver_late(self, expr: str, text: str) -> None:
        """Thread-safe: hand a slow watch's value to the GUI thread."""
        self.late_watch_value.emit(expr, text)

    def _set_late_value(self, expr: str, text: str) -> None:
        for r in range(self.watch_table.rowCount()):
            if self.watch_table.item(r, 0).text() == expr:
                self.watch_table.setItem(r, 1, QTableWidgetItem(text))

    def _eval(self, expr: str) -> str:
        if self.evaluate is None:
            return NOT_EVALUATED
        try:
            return str(self.evaluate(expr))
        except Exception as exc:  # a watch must never take the window down
            return f"{type(exc).__name__}: {exc}"

    def _add_from_field(self) -> None:
        self.add_watch(self.watch_field.text())
        self.watch_field.clear()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Delete and self.watch_table.hasFocus():
            self.remove_selected_watch()
        else:
            super().keyPressEvent(event)
