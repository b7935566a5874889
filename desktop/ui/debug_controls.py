"""Debugger toolbar: Continue, Step over/into/out, Run to cursor, Stop, Restart and Step back,
enabled according to the session's state, with the shortcut in every tooltip. The buttons are
the rows of ``desktop.ui.actions`` with ``toolbar="debug"``."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QToolBar, QWidget

from desktop.ui import actions as table
from desktop.ui.action_set import make_action, resolve
from desktop.ui.debug_bridge import DebugBridge

# the toolbar's rows of the action table, in its order: (key, text, shortcut, tooltip)
ROWS = tuple(r for r in table.ACTIONS
             if r.toolbar == "debug" and r.owner in ("bridge", "controls"))
ACTIONS = tuple((r.id.split(".", 1)[1], r.label, r.keys[0], r.tip) for r in ROWS)


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
        owners = {"bridge": bridge, "controls": self}
        for row in ROWS:
            act = make_action(row, resolve(row.handler, owners[row.owner]), self)
            act.setObjectName(f"debug_{row.id.split('.', 1)[1]}")
            self.addAction(act)
            self.actions_by_key[row.id.split(".", 1)[1]] = act
        # bound methods, not lambdas: Qt drops these connections when the toolbar is deleted
        bridge.status_changed.connect(self.refresh)
        bridge.paused.connect(self.refresh)
        bridge.viewed.connect(self.refresh)
        self.refresh()

    def run_to_cursor(self) -> None:
        line = self.cursor_line() if self.cursor_line is not None else None
        if line is not None:
            self.bridge.run_to_cursor(line)

    def refresh(self, *_args) -> None:
        history = self.bridge.history
        on = enabled_actions(self.bridge.status, history.position, len(history),
                             self.cursor_line is not None)
        for key, act in self.actions_by_key.items():
            act.setEnabled(key in on)
