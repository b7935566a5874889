"""The main window: editor in the centre, dockable Graph / Inspector / Output / Symbolic / Plots
panels, menus and toolbar (built by ``action_set`` from the table in ``desktop.ui.actions``), and
QSettings memory of layout, theme and recent files.

The window never runs code itself: Run emits ``run_requested(source)`` and Stop emits
``stop_requested()``; whoever owns the runner answers with ``show_result(RunResult)``.

This module assembles the window; what its parts do lives beside it: ``window_docks`` (panel
layout), ``window_files`` (file commands, recent files), ``window_run`` (run requests and
results), ``window_help`` (status bar, shortcuts, About), ``window_settings`` (theme, QSettings).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,  # noqa: F401  (the window's dialogs, patched here by tests)
    QMainWindow,
    QMenu,
    QMessageBox,  # noqa: F401
    QWidget,
)

from desktop.ui.action_set import ActionSet
from desktop.ui.editor import EditorPanel
from desktop.ui.graph_view import GraphView, LayoutFn
from desktop.ui.gui_gc import collect_on_gui_thread
from desktop.ui.inspector import Inspector
from desktop.ui.output_pane import OutputPane
from desktop.ui.plots import PlotsPanel
from desktop.ui.symbolic_panel import SymbolicPanel
from desktop.ui.theme import theme_named
from desktop.ui.window_docks import DockLayout
from desktop.ui.window_files import FileCommands
from desktop.ui.window_help import ENGINE_NOTE, StatusAndHelp  # noqa: F401  (re-exported)
from desktop.ui.window_run import RunDisplay
from desktop.ui.window_settings import SettingsMemory


class MainWindow(DockLayout, FileCommands, RunDisplay, StatusAndHelp, SettingsMemory,
                 QMainWindow):
    run_requested = Signal(str)  # the editor's source text
    stop_requested = Signal()
    breakpoints_changed = Signal(object)  # frozenset[int]
    file_opened = Signal(str)
    program_replaced = Signal(str)  # New/Open put another program in the editor (a reason)
    running_changed = Signal(bool)  # a plain run started or ended

    def __init__(self, settings: QSettings | None = None, layout_fn: LayoutFn | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings("stepgrad", "stepgrad")
        self.theme = theme_named(str(self.settings.value("theme", "light")))
        self.path: str | None = None
        # set by the controller: opens a .stepgrad session (never loaded as script text)
        self.session_opener: Callable[[str], bool] | None = None
        self.running = False
        self._sized = False
        self._state_restored = False
        collect_on_gui_thread()

        self.editor_panel = EditorPanel(theme=self.theme)
        self.editor = self.editor_panel.editor
        self.editor.setPlaceholderText(
            "# Write or paste PyTorch-style code here.\n"
            "# `import torch` runs on stepgrad's own engine.\n"
            "# Run: F5    Stop: Shift+F5    Breakpoint: click the gutter")
        self.setCentralWidget(self.editor_panel)
        self.graph_view = GraphView(theme=self.theme, layout_fn=layout_fn)
        self.inspector = Inspector(theme=self.theme)
        self.output = OutputPane(theme=self.theme)
        self.symbolic = SymbolicPanel(theme=self.theme)
        self.plots = PlotsPanel(theme=self.theme)
        self.docks: dict[str, QDockWidget] = {}
        self._panel_homes: dict[str, tuple] = {}  # add_panel's docks: (area, tabify_with)
        self._build_docks()
        self._build_actions()
        self._build_status_bar()
        self._wire()

        self._default_state = self.saveState()  # for View > Reset layout
        avail = self.screen().availableGeometry()  # 1400x900 where it fits; a 1280x720 screen too
        self.resize(min(1400, avail.width()), min(900, avail.height()))
        self._restore_settings()
        self.set_theme(self.theme.name, save=False)
        self.new_file(ask=False)

    def _build_actions(self) -> None:
        """The window's rows of ``desktop.ui.actions`` (the table): menus and toolbar buttons.
        The controller and the debugger add theirs when they are attached."""
        self.action_set = ActionSet(self)
        tb = self.addToolBar("Main")
        tb.setObjectName("toolbar_main")
        self.action_set.add_toolbar("main", tb)
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.action_set.fill_slot("recent", lambda: [self.recent_menu])
        theme_menu = self._build_theme_menu()
        self.action_set.fill_slot("themes", lambda: [theme_menu])
        self.action_set.fill_slot("panels", lambda: [d.toggleViewAction()
                                                     for d in self.docks.values()])
        for action_id, act in self.action_set.install("window", self).items():
            setattr(self, "act_" + action_id.split(".", 1)[1], act)
        self.view_menu = self.action_set.menus["view"]
        e = self.editor
        e.undoAvailable.connect(lambda on: self.action_set.set_rule("undo", on))
        e.redoAvailable.connect(lambda on: self.action_set.set_rule("redo", on))
        for rule, on in (("undo", False), ("redo", False), ("idle", True), ("running", False)):
            self.action_set.set_rule(rule, on)

    def _wire(self) -> None:
        e = self.editor
        e.document().modificationChanged.connect(self.setWindowModified)
        e.cursorPositionChanged.connect(self._update_cursor_label)
        e.breakpoints_changed.connect(self.breakpoints_changed)
        self.output.jump_to_line.connect(e.goto_line)

    # editor commands of the action table
    def find_next(self) -> None:
        self.editor_panel.find_bar.find(True)

    def toggle_breakpoint_at_cursor(self) -> None:
        e = self.editor
        e.toggle_breakpoint(e.textCursor().blockNumber() + 1)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        if self.running:
            self.stop_requested.emit()
        self.save_settings()
        event.accept()
