"""Sessions, export and autosave: what the user's work is saved as.

- A session (``.stepgrad``) holds code, breakpoints (with conditions), watches, lesson and
  settings; opening one never runs anything.
- Export writes the editor's code as a standalone script (engine or PyTorch, optionally with
  the gradient check) or as notebook cells.
- Autosave keeps the unsaved editor text every 30 s and before each run; at start-up every
  autosave left by a window that died is offered back, one by one.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable

from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop import session as sessions
from desktop.ui.feature_host import warn

SESSION_FILTER = "stepgrad sessions (*.stepgrad);;All files (*)"


class SessionFeature:
    """Owned by the ``Controller`` (``ctl``). ``ask(title, text)`` is the yes/no question of the
    recovery prompt (a dialog unless given)."""

    def __init__(self, ctl, config_dir: str, ask: Callable[[str, str], bool] | None = None):
        self.ctl = ctl
        self.window = ctl.window
        self.ask = ask or self._ask_dialog
        self.autosave = sessions.Autosave(os.path.join(config_dir, "autosave"))
        self.window_factory: Callable[[], object] | None = None  # for recovered autosaves

    # ---- sessions ----------------------------------------------------------------------------
    def current_session(self) -> sessions.Session:
        w = self.window
        settings = {"theme": w.theme.name}
        practice = getattr(w, "practice", None)
        if practice is not None:
            settings["practice"] = practice.to_settings()
        s = self.ctl.state.session(w.source(), w.editor.breakpoints, w.inspector.watches,
                                   settings)
        debugger = getattr(w, "debugger", None)
        conditions = debugger.conditions() if debugger is not None else {}
        if not conditions:
            return s
        bps = tuple(sessions.Breakpoint(b.line, conditions.get(b.line)) for b in s.breakpoints)
        return dataclasses.replace(s, breakpoints=bps)

    def _remember(self, path: str) -> None:
        self.ctl.state.session_path = os.path.abspath(path)
        self.window.add_recent(self.ctl.state.session_path)
        self.window.setWindowTitle(f"{os.path.basename(path)}[*] — stepgrad")

    def save_session(self, path: str) -> bool:
        try:
            sessions.save(self.current_session(), path)
        except sessions.SessionError as exc:
            warn(self.window, "Cannot save the session", str(exc))
            return False
        self._remember(path)
        self.window.editor.document().setModified(False)
        self.window.statusBar().showMessage(f"Saved session {path}", 4000)
        return True

    def open_session(self, path: str) -> bool:
        """Load a session's code, breakpoints, watches and lesson. Nothing in it runs."""
        try:
            s = sessions.load(path)
        except sessions.SessionError as exc:
            warn(self.window, "Cannot open the session", str(exc))
            return False
        self.apply_session(s)
        self.window.path = None  # Save writes a .py script; the session is saved with Save Session
        self._remember(path)
        self.window.statusBar().showMessage(
            f"Opened session {path} (not run: press F5 to run it)", 6000)
        return True

    def apply_session(self, s: sessions.Session, modified: bool = False) -> None:
        w = self.window
        # Before anything of the session reaches the inspector: its watches must find no
        # namespace to be evaluated in (nor gain one from a run of the code it replaces).
        debugger = getattr(w, "debugger", None)
        if debugger is not None and debugger.debugging:
            debugger.stop()
        self.ctl.clear_results()
        w.new_file(ask=False)
        w.editor.setPlainText(s.code)
        w.editor.set_breakpoints(b.line for b in s.breakpoints)
        problems = []
        for b in s.breakpoints:
            if b.condition and debugger is not None:
                problem = debugger.set_condition(b.line, b.condition)  # compiled, not evaluated
                if problem:  # the breakpoint stays, unconditional
                    problems.append(f"Breakpoint on line {b.line} kept without its condition: "
                                    f"{problem}\n")
        w.inspector.set_watches(s.watches)
        theme = s.settings.get("theme") if isinstance(s.settings, dict) else None
        if isinstance(theme, str) and theme in w.theme_actions:
            w.set_theme(theme)
        self.ctl.clear_results()
        for text in problems:  # after the clear, so the note stays until the next run
            w.output.append(text, "stderr")
        self.ctl.state.lesson = s.lesson
        self.ctl.state.spec = None  # a builder spec is not saved with the session
        practice = getattr(w, "practice", None)
        if practice is not None:
            practice.load_settings(s.settings.get("practice"))
        w.editor.document().setModified(modified)

    def open_session_dialog(self) -> None:
        if not self.window.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Open session",
                                              self.window.last_dir(), SESSION_FILTER)
        if path:
            self.open_session(path)

    def save_session_dialog(self) -> None:
        start = self.ctl.state.session_path or os.path.join(self.window.last_dir(),
                                                            "untitled" + sessions.SUFFIX)
        path, _ = QFileDialog.getSaveFileName(self.window, "Save session", start, SESSION_FILTER)
        if path:
            if not path.endswith(sessions.SUFFIX):
                path += sessions.SUFFIX
            self.save_session(path)

    def file_opened(self, path: str) -> None:
        if path.endswith(sessions.SUFFIX):  # from Open Recent or the command line
            self.open_session(path)
        else:
            self.ctl.clear_results(f"Opened {os.path.basename(path)}: run it (F5).")
            state = self.ctl.state
            state.lesson = None
            state.spec = None
            state.session_path = None

    # ---- export ------------------------------------------------------------------------------
    def export_text(self, backend: str = "engine", check: bool = False) -> str:
        from desktop.export import export_session

        s = self.current_session()
        title = os.path.basename(self.window.path) if self.window.path else None
        return export_session(s, backend=backend, title=title, check=check)

    def export_to(self, path: str, backend: str = "engine", check: bool = False) -> bool:
        try:
            if path.endswith(".ipynb"):  # the code as notebook cells (no report, no check)
                from desktop.export import notebook_text

                text = notebook_text(self.current_session().code, backend=backend)
            else:
                text = self.export_text(backend, check)
            sessions.atomic_write_text(path, text)
        except (OSError, ValueError) as exc:
            warn(self.window, "Export failed", f"{path}\n\n{exc}")
            return False
        self.window.statusBar().showMessage(f"Exported {path}", 4000)
        return True

    def export_dialog(self, backend: str, check: bool = False) -> None:
        name = "exported_torch.py" if backend == "torch" else "exported.py"
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export as script", os.path.join(self.window.last_dir(), name),
            "Python files (*.py);;Jupyter notebooks (*.ipynb)")
        if path:
            self.export_to(path, backend, check)

    # ---- autosave and recovery ---------------------------------------------------------------
    def autosave_now(self) -> bool:
        w = self.window
        if not w.is_modified():
            return False
        try:
            self.autosave.save(self.current_session(), w.path or self.ctl.state.session_path)
        except sessions.SessionError:
            return False  # the next tick tries again; autosave never interrupts the user
        return True

    def modification_changed(self, modified: bool) -> None:
        if not modified:  # saved (or reverted): an autosave would offer back what is on disk
            self.autosave.clear()

    def offer_recovery(self) -> bool:
        """At start-up: offer back, one by one, every autosave left by a stepgrad window that
        died (several windows may have). The first one recovered goes into this window, the
        others into new windows, each as unsaved work; nothing is run. An autosave is deleted
        once recovered or declined; one that cannot be read stays for the next start. Returns
        True when at least one was restored."""
        try:
            found = sessions.recoverable(self.autosave.directory)
        except OSError:
            return False
        restored = 0
        for rec in found:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(rec.saved_at))
            what = os.path.basename(rec.original) if rec.original else "an unsaved script"
            more = f" ({len(found)} autosaves were left)" if len(found) > 1 else ""
            if not self.ask("Recover unsaved work?",
                            f"stepgrad ended unexpectedly while you were editing {what} "
                            f"(autosaved {when}){more}. Recover it? (It is not run.)"):
                rec.discard()
                continue
            try:
                session = rec.load()
            except sessions.SessionError as exc:
                warn(self.window, "Cannot recover", str(exc))
                continue
            target = self.ctl if restored == 0 else self.ctl.open_window()
            if target is None:
                continue  # no window to put it in: it stays for the next start
            target.apply_session(session, modified=True)
            target.autosave_now()  # the recovered text has its new owner's autosave now
            rec.discard()
            restored += 1
        return restored > 0

    def open_window(self):
        """A new wired window for a recovered autosave (its controller), or None."""
        factory = self.window_factory
        if factory is None:
            return None
        window = factory()
        return getattr(window, "controller", None)

    def _ask_dialog(self, title: str, text: str) -> bool:
        SB = QMessageBox.StandardButton
        return QMessageBox.question(self.window, title, text, SB.Yes | SB.No, SB.Yes) == SB.Yes
