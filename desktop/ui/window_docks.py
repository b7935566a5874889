"""The main window's dockable panels: where each starts, its size at first show, panels added
later (lessons, timeline, …) and View > Reset Layout. A mixin of ``MainWindow``."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QWidget

from desktop.ui.scroll_dock import ScrollDock, fit_to_screen


class DockLayout:
    """Needs ``self.docks`` ({key: dock}), ``self._panel_homes`` and the panel widgets."""

    def _build_docks(self) -> None:
        area = Qt.DockWidgetArea
        for key, title, widget, where in (
            ("graph", "Graph", self.graph_view, area.RightDockWidgetArea),
            ("inspector", "Inspector", self.inspector, area.RightDockWidgetArea),
            ("output", "Output", self.output, area.BottomDockWidgetArea),
            ("plots", "Plots", self.plots, area.BottomDockWidgetArea),
            ("symbolic", "Symbolic", self.symbolic, area.BottomDockWidgetArea),
        ):
            dock = ScrollDock(title, self)
            dock.setObjectName(f"dock_{key}")  # saveState/restoreState match docks by name
            dock.setWidget(widget)
            self.addDockWidget(where, dock)
            self.docks[key] = dock
        self.splitDockWidget(self.docks["graph"], self.docks["inspector"], Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.docks["output"], self.docks["plots"])
        self.tabifyDockWidget(self.docks["plots"], self.docks["symbolic"])
        self.docks["output"].raise_()
        # The right column takes the full height; the output strip sits under the editor only.
        self.setCorner(Qt.Corner.BottomRightCorner, area.RightDockWidgetArea)
        self.setCorner(Qt.Corner.TopRightCorner, area.RightDockWidgetArea)

    def _apply_default_sizes(self) -> None:
        """Dock sizes only stick once the window has its real size, so this runs at first show
        (when no layout was remembered) and on View > Reset layout."""
        w, h = self.width(), self.height()
        self.resizeDocks([self.docks["graph"]], [int(w * 0.52)], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["graph"], self.docks["inspector"]],
                         [int(h * 0.55), int(h * 0.45)], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["output"]], [int(h * 0.25)], Qt.Orientation.Vertical)
        strip = self.docks.get("timeline")  # a one-line strip above the editor
        if strip is not None and not strip.isFloating():
            self.resizeDocks([strip], [strip.sizeHint().height()],
                             Qt.Orientation.Vertical)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            if not self._state_restored:
                fit_to_screen(self)  # the frame the window manager added can still overflow
                self._apply_default_sizes()
            elif fit_to_screen(self):  # remembered on a larger screen, or squeezed: repaired
                self._apply_default_sizes()

    def add_panel(self, key: str, title: str, widget: QWidget,
                  area: Qt.DockWidgetArea = Qt.DockWidgetArea.BottomDockWidgetArea,
                  tabify_with: str | None = "output") -> QDockWidget:
        """Add a dockable panel after construction (lessons, landscape, …): it gets a View menu
        toggle and takes the place remembered in QSettings, if any."""
        dock = ScrollDock(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        # restoreState() ran before this dock existed; its remembered place is used only if
        # the dock is not in the layout yet (placed first, Qt keeps that place)
        restored = self.restoreDockWidget(dock)
        if not restored:
            self.addDockWidget(area, dock)
            if tabify_with in self.docks:
                self.tabifyDockWidget(self.docks[tabify_with], dock)
        dock.setProperty("restored", restored)  # callers placing it further must leave it be
        self.docks[key] = dock
        self._panel_homes[key] = (area, tabify_with)
        self.action_set.rebuild("view")  # its toggle among the panels'
        return dock

    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        # panels added after start-up are not in that state: put them back by hand
        for key, (area, tabify_with) in self._panel_homes.items():
            dock = self.docks[key]
            dock.setFloating(False)
            self.removeDockWidget(dock)
            self.addDockWidget(area, dock)
            if tabify_with in self.docks:
                self.tabifyDockWidget(self.docks[tabify_with], dock)
        for dock in self.docks.values():
            dock.show()
        self.docks["output"].raise_()
        self._apply_default_sizes()
