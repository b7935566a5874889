"""The symbolic panel filled in: pick a backward()/grad() call and a leaf, see the three-way
table (closed form, its value, the engine's grad, a finite difference, agreement), the selected
element's closed form rendered as math (plain text when it can't be), a badge and the notes.

It extends ``desktop.ui.symbolic_panel.SymbolicPanel`` (same Compute/Cancel buttons and
signals); the controller runs ``symbolic.check`` in a worker and hands the reports here.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QTableWidgetItem,
)

from desktop.ui.symbolic_panel import SymbolicPanel
from desktop.ui.theme import LIGHT, Theme

CUSTOM_PREFIX = "custom "
OK_MARK, BAD_MARK = "✔", "✘"
DEFAULT_LIMIT = 20.0  # seconds of sympy work per call


def _num(v) -> str:
    return "—" if v is None else f"{v:.6g}"


def _short(text: str, width: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _sym_latex(symbol: str) -> str:
    """w_0_1 -> w_{0,1} for the left-hand side of the rendered formula."""
    head, *idx = symbol.split("_")
    if idx and all(i.isdigit() for i in idx):
        return f"{head}_{{{','.join(idx)}}}"
    return symbol.replace("_", r"\_")


_INDEX = re.compile(r"_\{(\d+(?: \d+)+)\}")


def comma_indices(latex: str) -> str:
    """sympy writes the symbol w_0_1 as w_{0 1}; show it as w_{0,1}."""
    return _INDEX.sub(lambda m: "_{" + m.group(1).replace(" ", ",") + "}", latex)


def report_groups(report) -> list[tuple[str, tuple, object]]:
    """(label, elements, matrix form) per target, then per custom Function."""
    out = [(t.name, t.elements, t.matrix_form) for t in report.targets]
    out += [(f"{CUSTOM_PREFIX}{c.function}.backward", c.elements, c)
            for c in report.custom]
    return out


def equations(report, mf) -> list[tuple[str, str]]:
    """(latex, plain) lines: the chain from L down to the target, or for a custom
    Function the derivative of its forward and whether its backward returned it."""
    if mf is None:
        return []
    if hasattr(mf, "forms"):  # a CustomCheck
        out = []
        for f in mf.forms:
            out.append((f.latex, f.text))
            verdict = (f"{mf.function}.backward returned exactly that (all {f.compared} "
                       "elements)" if f.ok else
                       f"{mf.function}.backward DISAGREES at {f.mismatched} of {f.compared} "
                       f"elements (largest difference {f.max_error:.3g})")
            out.append(("", verdict))
        if mf.backward_source:
            out.append(("", mf.backward_source))
        return out
    # "L = loss" and generated names' definitions come before the first equation
    head = []
    for text, tex in report.chain:
        if text.startswith("∂L/∂"):
            break
        head.append((tex, text))
    verdict = (f"= the engine's grad at all {mf.compared} elements" if mf.ok else
               f"DISAGREES with the engine's grad at {mf.mismatched} of {mf.compared} "
               f"elements (largest difference {mf.max_error:.3g})")
    return [*head, *((tex, text) for text, tex in mf.chain), (mf.latex, mf.text),
            ("", verdict)]


def first_bad(items, ok) -> int:
    """The index the view opens on: the first item that fails, else the first."""
    return next((i for i, item in enumerate(items) if not ok(item)), 0)


def group_ok(group) -> bool:
    return all(e.ok for e in group[1])


def first_equations(reports) -> list[tuple[str, str]]:
    """The equations ``show_reports`` shows first (the first failing call's first failing
    target), for a worker to render them ahead (``math_view.prerender``)."""
    if not reports:
        return []
    report = reports[first_bad(reports, lambda r: r.ok)]
    groups = report_groups(report)
    if not groups:
        return []
    return equations(report, groups[first_bad(groups, group_ok)][2])


class SymbolicView(SymbolicPanel):
    def __init__(self, parent=None, theme: Theme = LIGHT):
        super().__init__(parent, theme)
        self.reports: list = []
        self.call_box = QComboBox(toolTip="The backward() / autograd.grad() call to check")
        self.target_box = QComboBox(toolTip="The leaf (or custom Function) whose gradient to show")
        for box in (self.call_box, self.target_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.limit = QDoubleSpinBox(toolTip="Seconds of sympy work per call; after that, finite "
                                            "differences only")
        self.limit.setRange(0.5, 600.0)
        self.limit.setValue(DEFAULT_LIMIT)
        self.limit.setSuffix(" s")
        self.badge = QLabel()
        self.badge.setTextFormat(Qt.TextFormat.RichText)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("Call"))
        row.addWidget(self.call_box, 1)
        row.addWidget(self.badge)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("Gradient of"))
        row2.addWidget(self.target_box, 1)
        row2.addWidget(QLabel("Time limit"))
        row2.addWidget(self.limit)
        lay = self.layout()
        lay.insertLayout(1, row)
        lay.insertLayout(2, row2)
        lay.addWidget(self.notes)
        self.table.setSelectionBehavior(self.table.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(self.table.SelectionMode.SingleSelection)
        self.table.setEditTriggers(self.table.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for c in range(self.table.columnCount()):  # the closed form takes what is left
            header.setSectionResizeMode(c, header.ResizeMode.Stretch if c == 1
                                        else header.ResizeMode.ResizeToContents)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setWordWrap(False)  # one line per element; the full form is the tooltip
        self.call_box.currentIndexChanged.connect(self._fill_targets)
        self.target_box.currentIndexChanged.connect(self._fill_table)
        self.table.itemSelectionChanged.connect(self._show_selected_formula)
        self._rows: list = []
        self._clear_views()

    # ---- states ------------------------------------------------------------------------------
    def _clear_views(self) -> None:
        for box in ("call_box", "target_box"):
            w = getattr(self, box, None)  # the base __init__ calls set_not_computed early
            if w is not None:
                w.blockSignals(True)
                w.clear()
                w.blockSignals(False)
                w.setEnabled(False)
        if getattr(self, "badge", None) is not None:
            self.badge.clear()
            self.notes.clear()
        self._rows = []

    def set_not_computed(self, reason: str = "") -> None:
        super().set_not_computed(reason)
        self.reports = []
        self._clear_views()

    def set_computing(self, calls: int, auto: bool = False) -> None:
        if auto:  # Compute stays available: it replaces this check with the full one
            self.state.setText("<b>Checking the last backward()…</b> (started by itself: the "
                               "graph is small; Cancel stops it, Compute checks more calls)")
        else:
            self.state.setText(f"<b>Checking {calls} call{'s' if calls != 1 else ''}…</b> "
                               f"sympy derives every gradient (time limit "
                               f"{self.limit.value():g} s per call; Cancel stops it).")
        self.compute.setEnabled(auto)
        self.cancel.setEnabled(True)
        self.badge.setText("…")

    def mark_earlier_run(self) -> None:
        """A debug session started: the reports shown stay readable, marked as the check of
        the plain Run before it (the debugged run itself is not checked)."""
        if not self.reports:
            return
        self.state.setText("<i>From the last Run, before this debug session:</i> "
                           + self.state.text())
        self.notes.setText("The debug session's own backward is not checked: run the script "
                           "with Ctrl+F5 to check it.")

    def time_limit(self) -> float:
        return float(self.limit.value())

    def show_failure(self, message: str) -> None:
        self.set_not_computed(message)
        self.compute.setEnabled(True)

    def show_reports(self, reports, note: str = "") -> None:
        self.reports = list(reports)
        self.cancel.setEnabled(False)
        self.compute.setEnabled(True)
        self.table.setEnabled(True)
        bad = sum(len(r.failures) for r in self.reports)
        bad += sum(1 for r in self.reports for t in r.targets
                   if t.matrix_form is not None and not t.matrix_form.ok)
        bad += sum(1 for r in self.reports for c in r.custom for f in c.forms if not f.ok)
        bad += sum(1 for r in self.reports if r.independent is not None
                   and not r.independent.ok)  # the re-run script moved L otherwise
        total = sum(len(r.elements) + sum(len(c.elements) for c in r.custom)
                    for r in self.reports)
        stopped = [r for r in self.reports if r.cancelled or r.timed_out]
        head = (f"<b>{len(self.reports)} call{'s' if len(self.reports) != 1 else ''}, "
                f"{total} gradient element{'s' if total != 1 else ''} checked</b> "
                "(engine vs sympy closed form vs finite difference)")
        if stopped:
            head += " — " + ("cancelled" if any(r.cancelled for r in stopped)
                             else "time limit reached") + ": some elements use finite "\
                "differences only"
        self.state.setText(head)
        color = self.theme.stderr if bad else "#2e8b57"
        text = f"{BAD_MARK} {bad} disagree" if bad else f"{OK_MARK} all agree"
        unchecked = sum(len(r.unchecked) for r in self.reports)
        underived = sum(len(r.underived) for r in self.reports)
        failed = sum(1 for r in self.reports if r.error)
        # a call whose script could not be re-run was not compared independently
        rerun = sum(1 for r in self.reports if r.independent is not None
                    and not r.independent.checked)
        missing = [f"{unchecked} not checked" if unchecked else "",
                   f"{underived} not derived (no closed form)" if underived else "",
                   f"{rerun} call{'s' if rerun != 1 else ''} not re-run" if rerun else "",
                   f"{failed} call{'s' if failed != 1 else ''} failed" if failed else ""]
        missing = [m for m in missing if m]
        if missing and not bad:  # what was not compared is never counted as agreeing
            text = f"{OK_MARK} no disagreement; " + ", ".join(missing)
            color = "#b8860b"
        elif missing:
            text += " (" + ", ".join(missing) + ")"
        self.badge.setText(f"<b style='color:{color}'>{text}</b>")
        self.badge.setToolTip(text)
        self.notes.setText(note)
        self.call_box.blockSignals(True)
        self.call_box.clear()
        for r in self.reports:
            mark = OK_MARK if r.ok else BAD_MARK
            # the script's code has no file name: "at <stepgrad>:8" reads better as "at line 8"
            title = re.sub(r" at <[^>]*>:(\d+)", r" at line \1", r.title)
            self.call_box.addItem(f"{mark} {title}")
            self.call_box.setItemData(self.call_box.count() - 1, r.title,
                                      Qt.ItemDataRole.ToolTipRole)
        self.call_box.blockSignals(False)
        self.call_box.setEnabled(bool(self.reports))
        self.call_box.setCurrentIndex(first_bad(self.reports, lambda r: r.ok)
                                      if self.reports else -1)
        self._fill_targets()

    # ---- selection ---------------------------------------------------------------------------
    def current_report(self):
        i = self.call_box.currentIndex()
        return self.reports[i] if 0 <= i < len(self.reports) else None

    def _groups(self, report) -> list[tuple[str, tuple, object]]:
        return report_groups(report)

    def _equations(self, report, mf) -> list[tuple[str, str]]:
        return equations(report, mf)

    def _fill_targets(self, *_args) -> None:
        report = self.current_report()
        self.target_box.blockSignals(True)
        self.target_box.clear()
        groups = self._groups(report) if report is not None else []
        for label, elements, _mf in groups:
            ok = all(e.ok for e in elements)
            self.target_box.addItem(f"{OK_MARK if ok else BAD_MARK} {label}", label)
        self.target_box.blockSignals(False)
        self.target_box.setEnabled(bool(groups))
        self.target_box.setCurrentIndex(first_bad(groups, group_ok) if groups else -1)
        self._fill_table()
        notes = list(report.notes) if report is not None else []
        if report is not None and report.error:
            notes.insert(0, f"the call failed, nothing to check: {report.error}")
        if report is not None and report.independent is not None:
            ind = report.independent
            verdict = {"agree": "agrees", "disagree": "DISAGREES"}.get(ind.status, ind.status)
            notes.insert(0, f"independent check ({verdict}): {ind.text}")
        extra = self.notes.text().split("\n")[0] if self.notes.text() else ""
        self.notes.setText("\n".join(n for n in [extra, *notes] if n))

    def select_target(self, name: str) -> bool:
        """Show ``name``'s gradient (e.g. the tensor selected in the inspector)."""
        i = self.target_box.findData(name)
        if i < 0:
            return False
        self.target_box.setCurrentIndex(i)
        return True

    def current_target(self) -> str | None:
        return self.target_box.currentData()

    def _fill_table(self, *_args) -> None:
        report = self.current_report()
        groups = self._groups(report) if report is not None else []
        i = self.target_box.currentIndex()
        _label, elements, mf = groups[i] if 0 <= i < len(groups) else ("", (), None)
        self._rows = list(elements)
        self._matrix = mf
        self.table.setRowCount(len(elements))
        for r, e in enumerate(elements):
            cells = (e.label, _short(e.closed_form or "(not derived)"), _num(e.symbolic),
                     _num(e.engine), _num(e.finite),
                     (OK_MARK if e.checked else "–") if e.ok else BAD_MARK)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 1:
                    item.setToolTip(e.pretty or e.closed_form)
                if c == 5:
                    item.setToolTip(e.note or ("agrees" if e.ok else "disagrees"))
                    item.setForeground(QColor("#2e8b57" if e.ok else self.theme.stderr))
                elif not e.ok:
                    item.setForeground(QColor(self.theme.stderr))
                self.table.setItem(r, c, item)
        self.set_equations(self._equations(report, mf) if report is not None else [])
        if elements:
            self.table.selectRow(first_bad(elements, lambda e: e.ok))
            self._show_selected_formula()
        else:
            self.formula.clear()

    def _show_selected_formula(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or not (0 <= rows[0].row() < len(self._rows)):
            return
        e = self._rows[rows[0].row()]
        if not e.closed_form:
            self.formula.clear()
            return
        lhs = rf"\frac{{\partial L}}{{\partial {_sym_latex(e.symbol)}}}"
        self.formula.set_math(f"{lhs} = {comma_indices(e.latex)}" if e.latex else "",
                              plain=f"∂L/∂{e.symbol} = {e.pretty or e.closed_form}")

    # ---- for tests and the controller ----------------------------------------------------------
    def row_texts(self) -> list[list[str]]:
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]

    @property
    def all_agree(self) -> bool | None:
        return None if not self.reports else all(r.ok for r in self.reports)
