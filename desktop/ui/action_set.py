"""The QActions, menus and toolbar buttons of ``desktop.ui.actions.ACTIONS``.

    window.actions = ActionSet(window)          # MainWindow does this
    acts = window.actions.install("controller", controller)   # that owner's rows → QActions

Each owner installs its rows when it is attached (the window first, then the controller, the
debugger, predict mode); the menu bar is rebuilt each time, so every entry sits where the table
puts it whatever the order of attachment. Shortcuts are window-wide (every action is also added
to the window), and each tooltip names its keys.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from desktop.ui import actions as table
from desktop.ui.actions import ActionRow, MenuSlot

SlotItem = QAction | QMenu | str | tuple  # an action, a submenu, "-", or ("section", title)


def key_sequences(keys: tuple[str, ...]) -> list[QKeySequence]:
    out = []
    for k in keys:
        if k.startswith("std:"):
            out.append(QKeySequence(getattr(QKeySequence.StandardKey, k[4:])))  # its first keys
        else:
            out.append(QKeySequence(k))
    return out


def native(seqs: list[QKeySequence]) -> str:
    return ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in seqs)


def resolve(handler: str, owner) -> Callable:
    """``"owner.a.b"`` on ``owner``: its ``a.b`` (AttributeError names the missing piece)."""
    target = owner
    for part in handler.split(".")[1:]:
        target = getattr(target, part)
    return target


def _dash_style(row: ActionRow) -> bool:
    return row.owner != "window" and ("debug" in row.menus or row.toolbar == "debug")


def set_keys(act: QAction, row: ActionRow, keys: tuple[str, ...]) -> None:
    """Bind ``keys`` to ``act`` and name them in its tooltip."""
    seqs = key_sequences(keys)
    act.setShortcuts(seqs)
    label = act.text().replace("&", "")
    if _dash_style(row):
        tip = f"{label} ({native(seqs)})" if seqs else label
        act.setToolTip(f"{tip} — {row.tip}" if row.tip else tip)
    else:
        tip = row.tip or label.rstrip("…")
        act.setToolTip(f"{tip} ({native(seqs)})" if seqs else tip)


def make_action(row: ActionRow, slot: Callable, parent, keys: tuple[str, ...] | None = None
                ) -> QAction:
    act = QAction(row.label, parent)
    act.setObjectName(f"act_{row.id.replace('.', '_')}")
    act.setCheckable(row.checkable)
    set_keys(act, row, row.keys if keys is None else keys)
    act.setStatusTip(row.tip or row.label.replace("&", "").rstrip("…"))
    if row.checkable:
        act.toggled.connect(slot)
    else:  # triggered(checked) must not reach a handler whose first argument means more
        act.triggered.connect(lambda _checked=False: slot())
    return act


class ActionSet:
    def __init__(self, window):
        self.window = window
        self.actions: dict[str, QAction] = {}
        self.menus: dict[str, QMenu] = {key: QMenu(title, window) for key, title in table.MENUS}
        self.toolbars: dict[str, QToolBar] = {}
        self.slots: dict[str, Callable[[], list[SlotItem]]] = {}
        self.debugger = False  # WITH_DEBUGGER keys apply
        self._rules: dict[str, bool] = {}
        self._homed: dict[str, bool] = {}

    # ---- building ----------------------------------------------------------------------------
    def install(self, owner: str, obj, rows: tuple[ActionRow, ...] | None = None
                ) -> dict[str, QAction]:
        """Make the QActions of ``owner``'s rows, bound to ``obj``; returns them by id."""
        made = {}
        for row in rows if rows is not None else table.rows_of(owner):
            act = make_action(row, resolve(row.handler, obj), self.window,
                              table.effective_keys(row, self.debugger))
            self.adopt(row.id, act)
            made[row.id] = act
        self.rebuild()
        return made

    def adopt(self, action_id: str, act: QAction) -> None:
        """Take an action made elsewhere from its table row (a toolbar's own)."""
        self.actions[action_id] = act
        if self.debugger and action_id in table.WITH_DEBUGGER:
            label, keys = table.WITH_DEBUGGER[action_id]
            self.rebind(action_id, (keys,) if keys else (), label)
        self.window.addAction(act)  # its shortcut works wherever the focus is in the window
        rule = table.BY_ID[action_id].enabled_when
        if rule in self._rules:
            act.setEnabled(self._rules[rule])
        row = table.BY_ID[action_id]
        bar = self.toolbars.get(row.toolbar or "")
        if bar is not None and act not in bar.actions():
            if row.toolbar_break and bar.actions():
                bar.addSeparator()
            bar.addAction(act)

    def add_toolbar(self, key: str, bar: QToolBar) -> None:
        """Rows with ``toolbar=key`` get a button on ``bar`` as they are installed."""
        self.toolbars[key] = bar

    def fill_slot(self, slot: str, provider: Callable[[], list[SlotItem]]) -> None:
        self.slots[slot] = provider
        self.rebuild()

    def rebuild(self, only: str | None = None) -> None:
        """Lay out every menu (or only ``only``) from the table; empty menus leave the bar."""
        for key, menu in self.menus.items():
            if only is None or key == only:
                self._homed[key] = self._fill(menu, table.menu_entries(key), key)
        bar = self.window.menuBar()
        shown = [m.menuAction() for k, m in self.menus.items() if self._homed.get(k)]
        if bar.actions() != shown:
            for act in bar.actions():  # not clear(): PySide would invalidate the menus' actions
                bar.removeAction(act)
            for act in shown:
                bar.addAction(act)

    def _fill(self, menu: QMenu, entries: list[ActionRow | MenuSlot], key: str) -> bool:
        """Lay ``menu`` out; True when an entry whose home it is (its first menu) is in it: a
        menu holding only entries borrowed from another (Toggle Breakpoint) is not shown."""
        for act in menu.actions():  # not clear(): PySide would invalidate every action's wrapper
            menu.removeAction(act)
            if act.parent() is menu:  # a separator or section made below
                act.deleteLater()
        group, homed = None, False
        for entry in entries:
            if isinstance(entry, MenuSlot):
                provider = self.slots.get(entry.id)
                items = provider() if provider is not None else []
            else:
                act = self.actions.get(entry.id)
                items = [act] if act is not None else []
            if not items:
                continue
            homed = homed or isinstance(entry, MenuSlot) or entry.menus[0] == key
            if group is not None and entry.group != group and not menu.isEmpty():
                menu.addSeparator()
            group = entry.group
            for item in items:
                if isinstance(item, QMenu):
                    menu.addMenu(item)
                elif item == "-":
                    menu.addSeparator()
                elif isinstance(item, tuple):
                    menu.addSection(item[1])
                else:
                    menu.addAction(item)
        return homed

    # ---- state -------------------------------------------------------------------------------
    def set_rule(self, rule: str, on: bool) -> None:
        """Enable or disable every action whose row is ``enabled_when=rule``."""
        self._rules[rule] = on
        for action_id, act in self.actions.items():
            if table.BY_ID[action_id].enabled_when == rule:
                act.setEnabled(on)

    def rebind(self, action_id: str, keys: tuple[str, ...], label: str | None = None) -> None:
        act = self.actions[action_id]
        if label is not None:
            act.setText(label)
        set_keys(act, table.BY_ID[action_id], keys)

    def attach_debugger(self) -> None:
        """Apply ``WITH_DEBUGGER``: the debugger's dispatchers take F5 and Shift+F5."""
        self.debugger = True
        for action_id, (label, keys) in table.WITH_DEBUGGER.items():
            if action_id in self.actions:
                self.rebind(action_id, (keys,) if keys else (), label)
