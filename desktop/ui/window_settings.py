"""What the main window remembers in QSettings (geometry, dock layout, theme, editor font
size) and the theme switch with its View > Theme menu. A mixin of ``MainWindow``."""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QByteArray
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from desktop.ui.theme import THEMES, apply_palette, theme_named


class SettingsMemory:
    """Needs ``self.settings``, ``self.editor`` and the panels."""

    def _build_theme_menu(self) -> QMenu:
        theme_menu = QMenu("&Theme", self)
        self.theme_group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for name in THEMES:
            act = QAction(name.capitalize(), self)
            act.setCheckable(True)
            act.setToolTip(f"{name.capitalize()} theme")
            act.setStatusTip(f"{name.capitalize()} theme")
            act.triggered.connect(lambda _c=False, n=name: self.set_theme(n))
            self.theme_group.addAction(act)
            self.theme_actions[name] = act
        theme_menu.addActions(list(self.theme_actions.values()))
        return theme_menu

    def set_theme(self, name: str, save: bool = True) -> None:
        self.theme = theme_named(name)
        apply_palette(self.theme)
        self.theme_actions[self.theme.name].setChecked(True)
        self.editor.set_theme(self.theme)
        for panel in (self.graph_view, self.inspector, self.output, self.plots, self.symbolic):
            panel.set_theme(self.theme)
        if save:
            self.settings.setValue("theme", self.theme.name)

    def _restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = s.value("windowState")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self._state_restored = self.restoreState(state)
        size = s.value("editor/pointSize")
        if size is not None:
            with contextlib.suppress(TypeError, ValueError):  # a hand-edited settings file
                self.editor.set_point_size(int(size))

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("geometry", self.saveGeometry())
        s.setValue("windowState", self.saveState())
        s.setValue("theme", self.theme.name)
        s.setValue("editor/pointSize", self.editor.point_size())
        s.sync()
