"""Debugger toolbar: Continue, Step over/into/out, Run to cursor, Stop, Restart and Step back,
with the shortcut in every tooltip. The buttons are the rows of ``desktop.ui.actions`` with
``toolbar="debug"``; each is enabled by its row's ``enabled_when`` rule, evaluated from the
session's state by ``desktop.ui.debug_rules.DebugFacts``."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QToolBar, QWidget

from desktop.ui import actions as table
from desktop.ui.action_set import make_action, resolve
from desktop.ui.debug_bridge import DebugBridge
from desktop.ui.debug_rules import DebugFacts

# the toolbar's rows of the action table, in its order: (key, text, shortcut, tooltip)
ROWS = tuple(r for r in table.ACTIONS
             if r.toolbar == "debug" and r.owner in ("bridge", "controls"))
ACTIONS = tuple((r.id.split(".", 1)[1], r.label, r.keys[0], r.tip) for r in ROWS)


def _key(action_id: str) -> str:
    return action_id.split(".", 1)[1]


def enabled_actions(status: str, position: int, count: int, can_cursor: bool) -> set[str]:
    """The toolbar's keys that apply: ``status`` of the session, ``position`` of the viewed
    state among ``count`` recorded ones (no plain run going)."""
    return {_key(i) for i in DebugFacts(status, position, count, can_cursor).enabled(ROWS)}


class DebugControls(QToolBar):
    """Toolbar bound to a ``DebugBridge``. ``cursor_line`` returns the editor's cursor line
    (1-based) for Run to cursor; ``plain_running`` tells whether a plain run goes on (then
    nothing may start the debugger beside it). The actions are in ``self.actions_by_key`` for
    menus."""

    def __init__(self, bridge: DebugBridge, cursor_line: Callable[[], int | None] | None = None,
                 parent: QWidget | None = None,
                 plain_running: Callable[[], bool] | None = None):
        super().__init__("Debug", parent)
        self.setObjectName("debug_toolbar")
        self.bridge = bridge
        self.cursor_line = cursor_line
        self.plain_running = plain_running
        self.actions_by_key: dict[str, QAction] = {}
        owners = {"bridge": bridge, "controls": self}
        for row in ROWS:
            act = make_action(row, resolve(row.handler, owners[row.owner]), self)
            act.setObjectName(f"debug_{_key(row.id)}")
            self.addAction(act)
            self.actions_by_key[_key(row.id)] = act
        # bound methods, not lambdas: Qt drops these connections when the toolbar is deleted
        bridge.status_changed.connect(self.refresh)
        bridge.paused.connect(self.refresh)
        bridge.viewed.connect(self.refresh)
        self.refresh()

    def run_to_cursor(self) -> None:
        line = self.cursor_line() if self.cursor_line is not None else None
        if line is not None:
            self.bridge.run_to_cursor(line)

    def facts(self) -> DebugFacts:
        history = self.bridge.history
        return DebugFacts(self.bridge.status, history.position, len(history),
                          self.cursor_line is not None,
                          self.plain_running is not None and bool(self.plain_running()))

    def refresh(self, *_args) -> dict[str, bool]:
        """Enable each button by its row's rule; returns every debugger rule's value."""
        rules = self.facts().rules()
        for row in ROWS:
            self.actions_by_key[_key(row.id)].setEnabled(rules[row.enabled_when])
        return rules
