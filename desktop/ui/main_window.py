"""The main window: editor in the centre, dockable Graph / Inspector / Output / Symbolic / Plots
panels, menus and toolbar (built by ``action_set`` from the table in ``desktop.ui.actions``), and
QSettings memory of layout, theme and recent files.

The window never runs code itself: Run emits ``run_requested(source)`` and Stop emits
``stop_requested()``; whoever owns the runner answers with ``show_result(RunResult)``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable

from PySide6.QtCore import SIGNAL, QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QWidget,
)

from desktop.model import OutputChunk, RunResult
from desktop.tensors import nonfinite_names
from desktop.ui.action_set import ActionSet
from desktop.ui.editor import EditorPanel
from desktop.ui.graph_view import GraphView, LayoutFn
from desktop.ui.gui_gc import collect_on_gui_thread
from desktop.ui.inspector import Inspector
from desktop.ui.output_pane import OutputPane
from desktop.ui.plots import PlotsPanel
from desktop.ui.program_scope import is_user_stop
from desktop.ui.scroll_dock import ScrollDock, fit_to_screen
from desktop.ui.symbolic_panel import SymbolicPanel
from desktop.ui.theme import THEMES, apply_palette, theme_named

ENGINE_NOTE = "import torch → stepgrad engine (numpy), not PyTorch"
MAX_RECENT = 8
PY_FILTER = "Python files (*.py);;All files (*)"
OPEN_FILTER = "Python files and notebooks (*.py *.ipynb);;All files (*)"


def _menu_actions(menu) -> list[QAction]:
    out = []
    for act in menu.actions():
        if act.menu() is not None:
            out += _menu_actions(act.menu())
        elif not act.isSeparator():
            out.append(act)
    return out


class MainWindow(QMainWindow):
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
        self.resize(1400, 900)
        self._restore_settings()
        self.set_theme(self.theme.name, save=False)
        self.new_file(ask=False)

    # ---- construction ------------------------------------------------------------------------
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
                self._apply_default_sizes()
            elif fit_to_screen(self):  # remembered on a larger screen, or squeezed: repaired
                self._apply_default_sizes()

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

    def find_next(self) -> None:
        self.editor_panel.find_bar.find(True)

    def toggle_breakpoint_at_cursor(self) -> None:
        e = self.editor
        e.toggle_breakpoint(e.textCursor().blockNumber() + 1)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.cursor_label = QLabel()
        self.run_label = QLabel("ready")
        self.engine_label = QLabel(ENGINE_NOTE)
        self.engine_label.setToolTip(
            "Scripts' `import torch` (and torch.nn, torch.nn.functional, torch.optim, "
            "torch.autograd) is served by stepgrad's own engine, which follows PyTorch's "
            "semantics on numpy. Real PyTorch is never imported.")
        for w in (self.cursor_label, self.run_label, self.engine_label):
            sb.addPermanentWidget(w)
        self._update_cursor_label()

    def _wire(self) -> None:
        e = self.editor
        e.document().modificationChanged.connect(self.setWindowModified)
        e.cursorPositionChanged.connect(self._update_cursor_label)
        e.breakpoints_changed.connect(self.breakpoints_changed)
        self.output.jump_to_line.connect(e.goto_line)

    # ---- extension points for the controller ---------------------------------------------
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

    # ---- files -------------------------------------------------------------------------------
    def source(self) -> str:
        return self.editor.toPlainText()

    def is_modified(self) -> bool:
        return self.editor.document().isModified()

    def _set_path(self, path: str | None) -> None:
        self.path = path
        name = os.path.basename(path) if path else "untitled.py"
        self.setWindowTitle(f"{name}[*] — stepgrad")
        self.setWindowFilePath(path or "")

    def _load_text(self, text: str, path: str | None) -> None:
        self.editor.setPlainText(text)
        self.editor.set_breakpoints(())
        self.editor.set_current_line(None)
        self.editor.clear_error()
        self.editor.document().setModified(False)
        # setPlainText reports "modified" and the reset above is not always signalled: a
        # pristine window must not show the unsaved-changes mark
        self.setWindowModified(False)
        self._set_path(path)
        self.program_replaced.emit(f"Opened {os.path.basename(path)}: run it (F5)." if path
                                   else "")

    def new_file(self, ask: bool = True) -> bool:
        if ask and not self.maybe_save():
            return False
        self._load_text("", None)
        return True

    def open_file(self, path: str, ask: bool = True) -> bool:
        if ask and not self.maybe_save():
            return False
        if path.endswith(".stepgrad") and self.session_opener is not None:
            return self.session_opener(path)  # a bad session leaves the editor as it was
        from desktop.notebook import load_text

        try:
            text, notebook = load_text(path)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            QMessageBox.warning(self, "Cannot open file", f"{path}\n\n{exc}")
            return False
        path = os.path.abspath(path)
        # a notebook opens as its script, untitled: Save must not write Python over the .ipynb
        self._load_text(text, None if notebook is not None else path)
        self.add_recent(path)
        self.settings.setValue("lastDir", os.path.dirname(path))
        self.statusBar().showMessage(f"Opened {path}", 4000)
        self.file_opened.emit(path)
        return True

    def open_dialog(self) -> bool:
        if not self.maybe_save():
            return False
        path, _ = QFileDialog.getOpenFileName(self, "Open script", self.last_dir(),
                                              OPEN_FILTER)
        return self.open_file(path, ask=False) if path else False

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        start = self.path or os.path.join(self.last_dir(), "untitled.py")
        path, _ = QFileDialog.getSaveFileName(self, "Save script as", start, PY_FILTER)
        return self.save_to(path) if path else False

    def save_to(self, path: str) -> bool:
        from desktop.session import atomic_write_text

        try:  # the old file stays whole if the disk fills up or the app is killed meanwhile
            atomic_write_text(path, self.source())
        except OSError as exc:
            QMessageBox.warning(self, "Cannot save file", f"{path}\n\n{exc}")
            return False
        path = os.path.abspath(path)
        self.editor.document().setModified(False)
        self._set_path(path)
        self.add_recent(path)
        self.settings.setValue("lastDir", os.path.dirname(path))
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def maybe_save(self) -> bool:
        """The unsaved-changes guard: True when it is fine to discard the editor's text."""
        if not self.is_modified():
            return True
        SB = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self, "Unsaved changes",
            f"Save the changes to {os.path.basename(self.path or 'untitled.py')}?",
            SB.Save | SB.Discard | SB.Cancel, SB.Save)
        if answer == SB.Save:
            return self.save()
        return answer == SB.Discard

    def last_dir(self) -> str:
        return str(self.settings.value("lastDir", os.path.expanduser("~")))

    # ---- recent files ------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent", [])
        if isinstance(value, str):  # QSettings returns a bare string for a one-item list
            value = [value]
        return [str(v) for v in (value or [])]

    def add_recent(self, path: str) -> None:
        """``path`` first in Open Recent; file dialogs start in its folder next."""
        items = [path] + [p for p in self.recent_files() if p != path]
        self.settings.setValue("recent", items[:MAX_RECENT])
        self.settings.setValue("lastDir", os.path.dirname(path))  # dialogs start there next

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for p in files:
            act = self.recent_menu.addAction(p)
            act.triggered.connect(lambda _c=False, p=p: self.open_file(p))
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list").triggered.connect(
                lambda: self.settings.setValue("recent", []))

    # ---- running -----------------------------------------------------------------------------
    def request_run(self) -> None:
        """Run: ask whoever owns the runner to run the editor's text."""
        if self.running:
            return
        if self.receivers(SIGNAL("run_requested(QString)")) == 0:
            self.statusBar().showMessage("No runner is connected to this window.", 5000)
            return
        self.output.clear()
        self.editor.clear_error()
        self.set_running(True)
        self.run_requested.emit(self.source())

    def request_stop(self) -> None:
        if self.running:
            self.run_label.setText("stopping…")
            self.stop_requested.emit()

    def set_running(self, running: bool) -> None:
        self.running = running
        self.action_set.set_rule("idle", not running)
        self.action_set.set_rule("running", running)
        self.run_label.setText("running…" if running else "ready")
        self.running_changed.emit(running)

    def append_output(self, text: str, stream: str = "stdout") -> None:
        """For a runner that streams output while the script is still running."""
        self.output.append(text, stream)

    def show_result(self, result: RunResult) -> None:
        """Push a finished (or failed, or stopped) run into every panel."""
        self.set_running(False)
        self.output.clear()
        for chunk in result.extras.get("output_chunks") or (OutputChunk(result.output),):
            self.output.append(chunk.text, chunk.stream)
        self.output.script_name = os.path.basename(self.path) if self.path else "untitled.py"
        err = result.error
        stopped = is_user_stop(result)  # the user's Stop: said calmly, not as an error
        if stopped:
            where = f" at line {err.line}" if err is not None and err.line else ""
            self.output.append(f"\n[stopped{where}]\n", "stdout")
            err = None
        self.output.show_error(err)
        self.editor.set_current_line(None)
        if err is not None and err.line is not None:
            self.editor.mark_error(err.line, f"{err.kind}: {err.message}")
        else:
            self.editor.clear_error()
        self.graph_view.set_snapshot(result.graph)
        self.inspector.set_tensors(result.tensors)
        self.inspector.refresh_watches()
        self.plots.set_backward_values(result.backward_values)
        self.symbolic.set_not_computed()
        self.symbolic.set_ready(result.status == "finished")
        text = f"{result.status} in {result.seconds:.2f} s"
        bad = nonfinite_names(result.tensors)
        if bad:  # said once per run, where the eye goes after Run, not only per tensor
            shown = ", ".join(bad[:4]) + (f" and {len(bad) - 4} more" if len(bad) > 4 else "")
            text += f" · ⚠ NaN/Inf in {shown}"
            self.output.append(f"\n[stepgrad] ⚠ NaN or Inf in {shown} (the Inspector counts "
                               "them; red cells mark them)\n", "stderr")
        if err is not None:
            text = f"{err.kind}" + (f" at line {err.line}" if err.line else "")
            self.docks["output"].raise_()
        elif stopped and result.error is not None and result.error.line:
            text = f"stopped at line {result.error.line} after {result.seconds:.2f} s"
        self.run_label.setText(text)

    # debugger passthroughs (the debug wiring drives these)
    def set_current_line(self, line: int | None) -> None:
        self.editor.set_current_line(line)

    @property
    def breakpoints(self) -> frozenset[int]:
        return self.editor.breakpoints

    # ---- view --------------------------------------------------------------------------------
    def set_theme(self, name: str, save: bool = True) -> None:
        self.theme = theme_named(name)
        apply_palette(self.theme)
        self.theme_actions[self.theme.name].setChecked(True)
        self.editor.set_theme(self.theme)
        for panel in (self.graph_view, self.inspector, self.output, self.plots, self.symbolic):
            panel.set_theme(self.theme)
        if save:
            self.settings.setValue("theme", self.theme.name)

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

    def export_graph_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export graph as PNG",
                                              os.path.join(self.last_dir(), "graph.png"),
                                              "PNG image (*.png)")
        if path and not self.graph_view.export_png(path):
            QMessageBox.warning(self, "Export failed", f"Could not write {path}")

    def export_plot_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plot as PNG",
                                              os.path.join(self.last_dir(), "plot.png"),
                                              "PNG image (*.png)")
        if path and not self.plots.export_png(path):
            QMessageBox.warning(self, "Export failed", f"Could not write {path}")

    def shortcut_table(self) -> list[tuple[str, str]]:
        acts = [a for a in self.findChildren(QAction) if a.shortcut().toString()]
        return sorted({(a.text().replace("&", "").rstrip("…"),
                        a.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
                       for a in acts})

    def shortcut_groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The shortcuts grouped by menu, in menu order (File, Edit, Run, Debug, …); actions
        in no menu come last."""
        groups, seen = [], set()
        for top in self.menuBar().actions():
            menu = top.menu()
            if menu is None:
                continue
            rows = []
            for act in _menu_actions(menu):
                keys = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                if keys and id(act) not in seen:
                    seen.add(id(act))
                    rows.append((act.text().replace("&", "").rstrip("…"), keys))
            if rows:
                groups.append((top.text().replace("&", ""), rows))
        rest = sorted({(a.text().replace("&", "").rstrip("…"),
                        a.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
                       for a in self.findChildren(QAction)
                       if a.shortcut().toString() and id(a) not in seen and a.isVisible()})
        if rest:
            groups.append(("Other", rest))
        return groups

    def show_shortcuts(self) -> None:
        parts = []
        for title, rows in self.shortcut_groups():
            parts.append(f"<tr><td colspan='2'><br><b>{title}</b></td></tr>")
            parts += [f"<tr><td>{name}&nbsp;&nbsp;</td><td><b>{keys}</b></td></tr>"
                      for name, keys in rows]
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{''.join(parts)}</table>")

    def show_about(self) -> None:
        QMessageBox.about(self, "About stepgrad",
                          "<b>stepgrad</b><br>Step through PyTorch-style autograd and watch "
                          "the graph being built and consumed.<br><br>" + ENGINE_NOTE)

    def _update_cursor_label(self) -> None:
        c = self.editor.textCursor()
        self.cursor_label.setText(f"Ln {c.blockNumber() + 1}, Col {c.positionInBlock() + 1}")

    # ---- settings ----------------------------------------------------------------------------
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

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        if self.running:
            self.stop_requested.emit()
        self.save_settings()
        event.accept()
