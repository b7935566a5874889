"""The code editor: line numbers and breakpoints in a gutter, current-line and error markers,
find bar, font zoom, and Python-friendly indentation."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QPainter,
    QPolygon,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.fonts import code_font
from desktop.ui.highlighter import PythonHighlighter
from desktop.ui.theme import LIGHT, Theme

INDENT = "    "
DEFAULT_POINT_SIZE = 11
_MARKER_WIDTH = 16  # room left of the numbers for the breakpoint dot / current-line arrow


class _Gutter(QWidget):
    """Paints line numbers and markers; a click anywhere in it toggles that line's breakpoint."""

    def __init__(self, editor: CodeEditor):
        super().__init__(editor)
        self.editor = editor
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click to toggle a breakpoint")

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event) -> None:
        self.editor.paint_gutter(event)

    def mousePressEvent(self, event) -> None:
        line = self.editor.line_at_y(int(event.position().y()))
        if line is not None and event.button() == Qt.MouseButton.LeftButton:
            self.editor.toggle_breakpoint(line)

    def event(self, ev) -> bool:
        if ev.type() == QEvent.Type.ToolTip:
            line = self.editor.line_at_y(ev.pos().y())
            if line is not None and line == self.editor.error_line:
                QToolTip.showText(ev.globalPos(), self.editor.error_message, self)
                return True
        return super().event(ev)


class CodeEditor(QPlainTextEdit):
    breakpoints_changed = Signal(object)  # frozenset[int] of 1-based line numbers

    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self._breakpoints: set[int] = set()
        self.current_line: int | None = None
        self.error_line: int | None = None
        self.error_message = ""
        font = code_font(DEFAULT_POINT_SIZE)
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 4)
        self.highlighter = PythonHighlighter(self.document(), theme)
        self.gutter = _Gutter(self)
        self.blockCountChanged.connect(self._update_gutter_width)
        self.updateRequest.connect(self._on_update_request)
        self.cursorPositionChanged.connect(self._refresh_selections)
        self._line_count = 1
        self.document().contentsChange.connect(self._shift_breakpoints)
        self._update_gutter_width()
        self._refresh_selections()

    # ---- breakpoints -------------------------------------------------------------------------
    @property
    def breakpoints(self) -> frozenset[int]:
        return frozenset(self._breakpoints)

    def set_breakpoints(self, lines) -> None:
        self._breakpoints = {int(n) for n in lines if 1 <= int(n) <= self.blockCount()}
        self.gutter.update()
        self.breakpoints_changed.emit(self.breakpoints)

    def toggle_breakpoint(self, line: int) -> None:
        self._breakpoints ^= {line}
        self.gutter.update()
        self.breakpoints_changed.emit(self.breakpoints)

    def _shift_breakpoints(self, pos: int, _removed: int, _added: int) -> None:
        """Keep breakpoints on their code when lines are inserted or deleted above them."""
        count = self.blockCount()
        delta, self._line_count = count - self._line_count, count
        if not delta or not self._breakpoints:
            return
        block = self.document().findBlock(pos)
        line = block.blockNumber() + 1
        # An edit that starts at column 0 moves (or deletes) its own line too.
        first_moved = line if pos == block.position() else line + 1
        moved = set()
        for b in self._breakpoints:
            if b < first_moved:
                moved.add(b)
            elif delta < 0 and b < first_moved - delta:
                continue  # its line was deleted
            else:
                moved.add(b + delta)
        if moved != self._breakpoints:
            self._breakpoints = moved
            self.gutter.update()
            self.breakpoints_changed.emit(self.breakpoints)

    # ---- markers -----------------------------------------------------------------------------
    def set_current_line(self, line: int | None) -> None:
        """Debugger position (1-based), or None to clear; scrolls it into view."""
        if line is None and self.current_line is None:
            return  # every run's end clears it: no selection change, no gutter repaint
        self.current_line = line
        if line is not None:
            self._reveal(line)
        self._refresh_selections()
        self.gutter.update()

    def mark_error(self, line: int | None, message: str) -> None:
        if line is None and self.error_line is None:
            self.error_message = message
            return  # cleared at every Run and its end: no selection change, no gutter repaint
        self.error_line = line
        self.error_message = message
        if line is not None:
            self._reveal(line)
        self._refresh_selections()
        self.gutter.update()

    def clear_error(self) -> None:
        self.mark_error(None, "")

    def goto_line(self, line: int) -> None:
        self._reveal(line)
        self.setFocus()

    def show_line(self, line: int) -> None:
        """Select ``line`` and scroll to it, leaving the keyboard focus where it is (a view
        linked to the editor shows where its selection comes from)."""
        block = self.document().findBlockByNumber(max(0, line - 1))
        if block.isValid():
            cur = QTextCursor(block)
            cur.movePosition(QTextCursor.MoveOperation.EndOfBlock,
                             QTextCursor.MoveMode.KeepAnchor)
            self.setTextCursor(cur)
            self.ensureCursorVisible()

    def _reveal(self, line: int) -> None:
        block = self.document().findBlockByNumber(max(0, line - 1))
        if block.isValid():
            cur = self.textCursor()
            cur.setPosition(block.position())
            self.setTextCursor(cur)
            self.ensureCursorVisible()

    def _line_selection(self, line: int, color: str) -> QTextEdit.ExtraSelection | None:
        block = self.document().findBlockByNumber(line - 1)
        if not block.isValid():
            return None
        sel = QTextEdit.ExtraSelection()
        sel.format.setBackground(QColor(color))
        sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        sel.cursor = QTextCursor(block)
        return sel

    def _refresh_selections(self) -> None:
        sels = []
        for line, color in ((self.current_line, self.theme.current_line),
                            (self.error_line, self.theme.error_line)):
            if line is not None:
                sel = self._line_selection(line, color)
                if sel is not None:
                    sels.append(sel)
        self.setExtraSelections(sels)

    # ---- theme and zoom ----------------------------------------------------------------------
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.highlighter.set_theme(theme)
        self._refresh_selections()
        self.gutter.update()

    def point_size(self) -> int:
        return self.font().pointSize()

    def set_point_size(self, size: int) -> None:
        font = QFont(self.font())
        font.setPointSize(max(6, min(48, size)))
        self.setFont(font)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 4)
        self._update_gutter_width()

    def zoom_in(self) -> None:
        self.set_point_size(self.point_size() + 1)

    def zoom_out(self) -> None:
        self.set_point_size(self.point_size() - 1)

    def zoom_reset(self) -> None:
        self.set_point_size(DEFAULT_POINT_SIZE)

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            (self.zoom_in if event.angleDelta().y() > 0 else self.zoom_out)()
            return
        super().wheelEvent(event)

    # ---- gutter geometry and painting --------------------------------------------------------
    def gutter_width(self) -> int:
        digits = max(3, len(str(self.blockCount())))
        return _MARKER_WIDTH + 6 + self.fontMetrics().horizontalAdvance("9") * digits

    def _update_gutter_width(self, *_args) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        cr = self.contentsRect()
        self.gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def line_at_y(self, y: int) -> int | None:
        block = self.firstVisibleBlock()
        top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
        while block.isValid():
            bottom = top + self.blockBoundingRect(block).height()
            if top <= y < bottom:
                return block.blockNumber() + 1
            block = block.next()
            top = bottom
        return None

    def paint_gutter(self, event) -> None:
        t = self.theme
        p = QPainter(self.gutter)
        p.fillRect(event.rect(), QColor(t.gutter))
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        block = self.firstVisibleBlock()
        top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
        fh = self.fontMetrics().height()
        width = self.gutter.width()
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + self.blockBoundingRect(block).height()
            line = block.blockNumber() + 1
            if block.isVisible() and bottom >= event.rect().top():
                y = int(top)
                cy = y + fh // 2
                if line in self._breakpoints:
                    p.setPen(Qt.PenStyle.NoPen)
                    p.setBrush(QColor(t.breakpoint))
                    p.drawEllipse(QPoint(_MARKER_WIDTH // 2 + 1, cy), 5, 5)
                if line == self.error_line:
                    p.setPen(QColor(t.breakpoint))
                    p.setFont(self.font())
                    p.drawText(QRect(0, y, _MARKER_WIDTH, fh), Qt.AlignmentFlag.AlignCenter, "!")
                if line == self.current_line:
                    p.setPen(QColor(t.text))
                    p.setBrush(QColor(t.accent))
                    x0 = 3
                    p.drawPolygon(QPolygon([QPoint(x0, cy - 5), QPoint(x0 + 9, cy),
                                            QPoint(x0, cy + 5)]))
                p.setPen(QColor(t.text if line == self.current_line else t.muted))
                p.setFont(self.font())
                p.drawText(QRect(0, y, width - 4, fh), Qt.AlignmentFlag.AlignRight, str(line))
            block = block.next()
            top = bottom
        p.end()

    # ---- tooltips on the error line ----------------------------------------------------------
    def event(self, ev) -> bool:
        if ev.type() == QEvent.Type.ToolTip and self.error_line is not None:
            pos = self.viewport().mapFromGlobal(ev.globalPos())
            if self.cursorForPosition(pos).blockNumber() + 1 == self.error_line:
                QToolTip.showText(ev.globalPos(), self.error_message, self)
                return True
        return super().event(ev)

    # ---- indentation -------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        cur = self.textCursor()
        if key == Qt.Key.Key_Tab and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if cur.hasSelection():
                self._shift_lines(+1)
            else:
                col = cur.positionInBlock()
                cur.insertText(" " * (4 - col % 4))
            return
        if key == Qt.Key.Key_Backtab:
            self._shift_lines(-1)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            text = cur.block().text()[: cur.positionInBlock()]
            indent = text[: len(text) - len(text.lstrip())]
            if text.rstrip().endswith(":"):
                indent += INDENT
            cur.insertText("\n" + indent)
            self.ensureCursorVisible()
            return
        super().keyPressEvent(event)

    def _shift_lines(self, direction: int) -> None:
        cur = self.textCursor()
        doc = self.document()
        first = doc.findBlock(cur.selectionStart()).blockNumber()
        last_pos = cur.selectionEnd()
        last = doc.findBlock(last_pos).blockNumber()
        if cur.hasSelection() and last > first and doc.findBlock(last_pos).position() == last_pos:
            last -= 1  # a selection ending at column 0 does not include that line
        cur.beginEditBlock()
        for n in range(first, last + 1):
            block = doc.findBlockByNumber(n)
            c = QTextCursor(block)
            if direction > 0:
                c.insertText(INDENT)
            else:
                text = block.text()
                strip = len(text) - len(text.lstrip(" "))
                c.movePosition(QTextCursor.MoveOperation.Right,
                               QTextCursor.MoveMode.KeepAnchor, min(4, strip))
                c.removeSelectedText()
        cur.endEditBlock()


class FindBar(QWidget):
    """Incremental find below the editor; Enter = next, Shift+Enter = previous, Esc closes."""

    def __init__(self, editor: CodeEditor, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor = editor
        self.field = QLineEdit(placeholderText="Find")
        self.case = QCheckBox("Aa")
        self.case.setToolTip("Match case")
        self.status = QLabel("")
        prev_btn = QToolButton(text="▲", toolTip="Previous match (Shift+Enter)")
        next_btn = QToolButton(text="▼", toolTip="Next match (Enter)")
        close_btn = QToolButton(text="✕", toolTip="Close (Esc)")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        for w in (QLabel("Find:"), self.field, self.case, prev_btn, next_btn, self.status):
            lay.addWidget(w)
        lay.addStretch(1)
        lay.addWidget(close_btn)
        self.field.textEdited.connect(lambda _t: self.find(forward=True, from_start=True))
        self.field.returnPressed.connect(lambda: self.find(forward=True))
        prev_btn.clicked.connect(lambda: self.find(forward=False))
        next_btn.clicked.connect(lambda: self.find(forward=True))
        close_btn.clicked.connect(self.close_bar)
        self.hide()

    def open_bar(self) -> None:
        sel = self.editor.textCursor().selectedText()
        if sel and "\u2029" not in sel:
            self.field.setText(sel)
        self.show()
        self.field.setFocus()
        self.field.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.editor.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close_bar()
        elif (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
              and event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            self.find(forward=False)
        else:
            super().keyPressEvent(event)

    def find(self, forward: bool = True, from_start: bool = False) -> bool:
        text = self.field.text()
        if not text:
            self.status.setText("")
            return False
        flags = QTextDocument.FindFlag(0)
        if not forward:
            flags |= QTextDocument.FindFlag.FindBackward
        if self.case.isChecked():
            flags |= QTextDocument.FindFlag.FindCaseSensitively
        if from_start:  # typing refines the match that starts at the current selection
            cur = self.editor.textCursor()
            cur.setPosition(cur.selectionStart())
            self.editor.setTextCursor(cur)
        found = self.editor.find(text, flags)
        if not found:  # wrap around once
            cur = self.editor.textCursor()
            cur.movePosition(QTextCursor.MoveOperation.Start if forward
                             else QTextCursor.MoveOperation.End)
            self.editor.setTextCursor(cur)
            found = self.editor.find(text, flags)
        self.status.setText("" if found else "not found")
        return found


class EditorPanel(QWidget):
    """Editor plus its find bar, as the main window's central widget."""

    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.editor = CodeEditor(self, theme)
        self.find_bar = FindBar(self.editor, self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.editor)
        lay.addWidget(self.find_bar)
