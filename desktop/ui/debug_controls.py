"""Debugger toolbar: Continue, Step over/into/out, Run to cursor, Stop, Restart and Step back,
enabled according to the session's state, with the shortcut in every tooltip."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar, QWidget

from desktop.ui.debug_bridge import DebugBridge

# (key, text, shortcut, tooltip) — the usual IDE keys (VS Code / Visual Studio).
ACTIONS = (
    ("continue", "Continue", "F5", "Start debugging, or run to the next breakpoint"),
    ("step_over", "Step over", "F10",
     "Run the current line; inside backward: run one node"),
    ("step_into", "Step into", "F11",
     "Enter the function called on this line; on a backward()/autograd.grad() line, step "
     "through the backward pass node by node"),
    ("step_out", "Step out", "Shift+F11",
     "Run to the end of the current function, or finish the backward pass"),
    ("run_to_cursor", "Run to cursor", "Ctrl+F10", "Run until the line with the text cursor"),
    ("stop", "Stop", "Shift+F5", "End the debugged script (works on infinite loops)"),
    ("restart", "Restart", "Ctrl+Shift+F5", "Stop and start again from the first line"),
    ("step_back", "Step back", "Alt+Left",
     "Show the previous recorded stop (nothing runs again)"),
    ("step_forward", "Step forward", "Alt+Right", "Show the next recorded stop"),
)


def enabled_actions(status: str, position: int, count: int, can_cursor: bool) -> set[str]:
    """Which actions apply: ``status`` of the session, ``position`` of the viewed state among
    ``count`` recorded ones."""
    history = set()
    if position > 0:
        history.add("step_back")
    if 0 <= position < count - 1:
        history.add("step_forward")
    cursor = {"run_to_cursor"} if can_cursor else set()
    if status == "running":
        return {"stop", "restart"} | history
    if status == "paused":
        return {"continue", "step_over", "step_into", "step_out", "stop", "restart"} | cursor \
            | history
    start = {"continue", "step_over", "step_into"} | cursor
    if status == "finished":
        start.add("restart")
    return start | history


class DebugControls(QToolBar):
    """Toolbar bound to a ``DebugBridge``. ``cursor_line`` returns the editor's cursor line
    (1-based) for Run to cursor. The actions are in ``self.actions_by_key`` for menus."""

    def __init__(self, bridge: DebugBridge, cursor_line: Callable[[], int | None] | None = None,
                 parent: QWidget | None = None):
        super().__init__("Debug", parent)
        self.setObjectName("debug_toolbar")
        self.bridge = bridge
        self.cursor_line = cursor_line
        self.actions_by_key: dict[str, QAction] = {}
        handlers = {
            "continue": bridge.continue_, "step_over": bridge.step_over,
            "step_into": bridge.step_into, "step_out": bridge.step_out,
            "run_to_cursor": self._run_to_cursor, "stop": bridge.stop,
            "restart": bridge.restart, "step_back": bridge.step_back,
            "step_forward": bridge.step_forward,
        }
        for key, text, keys, tip in ACTIONS:
            act = QAction(text, self)
            act.setObjectName(f"debug_{key}")
            act.setShortcut(QKeySequence(keys))
            native = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            act.setToolTip(f"{text} ({native}) — {tip}")
            act.setStatusTip(tip)
            act.triggered.connect(lambda _=False, h=handlers[key]: h())
            self.addAction(act)
            self.actions_by_key[key] = act
        # bound methods, not lambdas: Qt drops these connections when the toolbar is deleted
        bridge.status_changed.connect(self.refresh)
        bridge.paused.connect(self.refresh)
        bridge.viewed.connect(self.refresh)
        self.refresh()

    def _run_to_cursor(self) -> None:
        line = self.cursor_line() if self.cursor_line is not None else None
        if line is not None:
            self.bridge.run_to_cursor(line)

    def refresh(self, *_args) -> None:
        history = self.bridge.history
        on = enabled_actions(self.bridge.status, history.position, len(history),
                             self.cursor_line is not None)
        for key, act in self.actions_by_key.items():
            act.setEnabled(key in on)
