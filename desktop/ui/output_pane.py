"""Output pane: the script's printed output (stderr in red) and, after a failure, the error
with its traceback frames; clicking a frame (or the error line) jumps the editor there."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.model import ErrorInfo
from desktop.runner import SCRIPT_FILENAME
from desktop.ui.fonts import code_font
from desktop.ui.theme import LIGHT, Theme

_LINE_ROLE = Qt.ItemDataRole.UserRole
MAX_LINES = 20000  # lines the pane keeps; older ones scroll away


def _last_lines(text: str, n: int) -> str:
    """The last ``n`` lines of ``text``: what the pane would keep of it anyway. Inserting the
    rest first (a print() loop's 200,000 lines) froze the window for half a second."""
    if text.count("\n") <= n:
        return text
    return "\n".join(text.rsplit("\n", n)[1:])


def _merged(pieces) -> list[tuple[str, str]]:
    """(stream, text) pieces, consecutive ones of one stream joined, empty ones dropped."""
    out: list[tuple[str, str]] = []
    for stream, text in pieces:
        if not text:
            continue
        if out and out[-1][0] == stream:
            out[-1] = (stream, out[-1][1] + text)
        else:
            out.append((stream, text))
    return out


class OutputPane(QWidget):
    jump_to_line = Signal(int)

    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        mono = code_font()
        self.text = QPlainTextEdit(readOnly=True)
        self.text.setFont(mono)
        self.text.setMaximumBlockCount(MAX_LINES)  # a print() in a long loop must not eat memory
        self.text.setPlaceholderText("Output of the script appears here (Run: F5).")

        self.error_box = QFrame()
        self.error_title = QLabel()
        self.error_title.setWordWrap(True)
        self.error_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                                 | Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.error_title.linkActivated.connect(lambda href: self.jump_to_line.emit(int(href)))
        self.frames = QListWidget()
        self.frames.setFont(mono)
        self.frames.setToolTip("Click a frame to jump to that line in the editor")
        self.frames.itemClicked.connect(self._frame_clicked)
        self.frames.itemActivated.connect(self._frame_clicked)
        el = QVBoxLayout(self.error_box)
        el.setContentsMargins(4, 4, 4, 4)
        el.addWidget(self.error_title)
        el.addWidget(self.frames)
        self.error_box.hide()

        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.text)
        self.split.addWidget(self.error_box)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.split)
        self.error: ErrorInfo | None = None
        self.script_name = "untitled.py"  # shown for the script's own traceback frames
        self._runs: list[tuple[str, list[str]]] = []  # (stream, pieces) in order
        self._kept = 0  # lines in _runs

    def clear(self) -> None:
        self.text.clear()
        self._runs, self._kept = [], 0
        self.show_error(None)

    def append(self, text: str, stream: str = "stdout") -> None:
        text = _last_lines(text, MAX_LINES)
        # kept by stream, so a theme switch can recolour what is already shown
        if self.text.document().isEmpty():
            self._runs, self._kept = [], 0  # emptied by a direct self.text.clear()
        if self._runs and self._runs[-1][0] == stream:
            self._runs[-1][1].append(text)
        else:
            self._runs.append((stream, [text]))
        self._kept += text.count("\n")
        while self._kept > 2 * MAX_LINES and len(self._runs[0][1]) + len(self._runs) > 2:
            # forget pieces the pane has long scrolled away (memory stays bounded)
            _, pieces = self._runs[0]
            self._kept -= pieces.pop(0).count("\n")
            if not pieces:
                self._runs.pop(0)
        self._insert(text, stream)

    def show_chunks(self, chunks) -> None:
        """Show exactly ``chunks`` (``OutputChunk``s: a finished run's output), no error. When
        the pane shows them already, as streamed while the script ran, nothing is cleared and
        inserted again (nor repainted)."""
        wanted = _merged((c.stream, c.text) for c in chunks)
        shown = [] if self.text.document().isEmpty() else \
            _merged((stream, "".join(pieces)) for stream, pieces in self._runs)
        if wanted == shown and self._kept <= MAX_LINES:  # else Qt dropped the oldest lines
            self.show_error(None)
            return
        self.clear()
        for stream, text in wanted:
            self.append(text, stream)

    def _insert(self, text: str, stream: str) -> None:
        fmt = QTextCharFormat()
        fmt.setForeground(QColor(self.theme.stderr if stream == "stderr" else self.theme.stdout))
        cur = self.text.textCursor()
        cur.movePosition(QTextCursor.MoveOperation.End)
        cur.insertText(text, fmt)
        self.text.setTextCursor(cur)
        self.text.ensureCursorVisible()

    def show_error(self, error: ErrorInfo | None) -> None:
        self.error = error
        self.frames.clear()
        if error is None:
            self.error_box.hide()
            return
        where = ""
        if error.line is not None:
            where = f" — <a href='{error.line}'>line {error.line}</a>"
        self.error_title.setText(
            f"<b style='color:{self.theme.stderr}'>{html.escape(error.kind)}</b>{where}<br>"
            f"{html.escape(error.message)}")
        for filename, lineno, source in error.traceback:
            if filename == SCRIPT_FILENAME:  # the editor's script: call it by its name
                filename = self.script_name
            item = QListWidgetItem(f'File "{filename}", line {lineno}\n    {source.strip()}')
            item.setData(_LINE_ROLE, lineno)
            self.frames.addItem(item)
        self.frames.setVisible(bool(error.traceback))
        self.error_box.show()
        # The error matters more than the output that came before it: give it most of the room.
        total = max(2, sum(self.split.sizes()))
        self.split.setSizes([total // 3, total - total // 3])

    def _frame_clicked(self, item: QListWidgetItem) -> None:
        line = item.data(_LINE_ROLE)
        if line is not None:
            self.jump_to_line.emit(int(line))

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        runs = self._runs
        self.text.clear()  # stdout was inserted in the old theme's text colour: redraw it
        for stream, pieces in runs:
            self._insert(_last_lines("".join(pieces), MAX_LINES), stream)
        self.show_error(self.error)
