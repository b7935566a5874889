"""Breakpoint conditions, kept on the editor's text blocks: a condition moves with its line
when lines are inserted or deleted above it, as the editor's breakpoints do."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QTextBlockUserData
from PySide6.QtWidgets import QInputDialog, QMessageBox


class _Condition(QTextBlockUserData):
    def __init__(self, text: str):
        super().__init__()
        self.text = text


class BreakpointConditions:
    """The conditions of ``editor``'s breakpoints; ``push()`` is called when a condition
    changes on a line that already holds a breakpoint (a new breakpoint is announced by the
    editor's own ``breakpoints_changed``)."""

    def __init__(self, editor, push: Callable[[], None]):
        self.editor = editor
        self.push = push
        self._keep: list[_Condition] = []

    def conditions(self) -> dict[int, str]:
        """{line: condition} of the breakpoints that have one."""
        doc, out = self.editor.document(), {}
        for line in self.editor.breakpoints:
            data = doc.findBlockByNumber(line - 1).userData()
            if isinstance(data, _Condition) and data.text:
                out[line] = data.text
        return out

    def set_condition(self, line: int, condition: str) -> str | None:
        """Make ``line`` a breakpoint that stops only when ``condition`` (a Python expression
        evaluated in the paused frame) is true; an empty condition makes it unconditional.
        Returns what is wrong with a bad condition (nothing changes then)."""
        condition = condition.strip()
        if condition:
            try:
                compile(condition, "<condition>", "eval")
            except SyntaxError as exc:
                return (f"The condition {condition!r} is not a Python expression "
                        f"(SyntaxError: {exc.msg}); the breakpoint was not changed.")
        block = self.editor.document().findBlockByNumber(line - 1)
        if not block.isValid():
            return f"there is no line {line}"
        data = _Condition(condition)
        self._keep.append(data)  # Python keeps a reference too: PySide may drop the wrapper
        block.setUserData(data)
        if line not in self.editor.breakpoints:
            self.editor.toggle_breakpoint(line)  # pushes through breakpoints_changed
        else:
            self.push()
        return None

    def ask(self, parent, line: int) -> None:
        """The Breakpoint Condition dialog for ``line``; a bad condition is explained."""
        current = self.conditions().get(line, "")
        text, ok = QInputDialog.getText(
            parent, "Breakpoint condition",
            f"Stop at line {line} only when this is true (empty: always):", text=current)
        if ok:
            error = self.set_condition(line, text)
            if error is not None:
                QMessageBox.warning(parent, "Breakpoint condition", error)
