"""The main window's file commands: New, Open (scripts, notebooks, sessions), Save, Save As,
the unsaved-changes guard, Open Recent and the PNG exports. A mixin of ``MainWindow``."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QFileDialog, QMessageBox

MAX_RECENT = 8
PY_FILTER = "Python files (*.py);;All files (*)"
OPEN_FILTER = "Python files and notebooks (*.py *.ipynb);;All files (*)"


class FileCommands:
    """Needs ``self.editor``, ``self.settings``, ``self.path``, ``self.session_opener``,
    ``self.recent_menu`` and the signals ``program_replaced`` and ``file_opened``."""

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

    # ---- images ------------------------------------------------------------------------------
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
