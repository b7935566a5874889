"""The controller: one QObject per window composing the features that do the work.

    controller = install(window)       # desktop/app.py does this for every window

- ``RunFeature`` (``desktop.ui.run_feature``): Run / Stop, output streaming, the result to
  every panel.
- ``SessionFeature`` (``session_feature``): sessions, export, autosave and recovery.
- ``AnalysisFeature`` (``analysis_feature``): the symbolic check, f/f′/f″ plots, landscapes.
- ``LessonFeature`` (``lesson_feature``): lessons and the model builder.

The controller wires them to the window, installs its rows of the action table
(``desktop.ui.actions``) and keeps the public methods the window, the debugger and tests call.
Everything remembered between runs is in ``desktop.app_state.AppState`` (no Qt).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QStandardPaths, QTimer, Signal
from PySide6.QtWidgets import QApplication, QInputDialog

from desktop.app_state import AppState
from desktop.ui import pyside_refcount
from desktop.ui.analysis_feature import AnalysisFeature
from desktop.ui.feature_host import Jobs
from desktop.ui.lesson_feature import LessonFeature
from desktop.ui.program_scope import install_scope
from desktop.ui.run_feature import RunFeature
from desktop.ui.session_feature import SessionFeature
from desktop.watch_eval import WatchEvaluator

pyside_refcount.apply()  # PySide6 6.12 drops a ref to True on every emit

AUTOSAVE_MS = 30_000
QUIT_ENV = "STEPGRAD_QUIT_AFTER_START"  # "1": quit after the first event-loop tick (start-up test)


def default_config_dir() -> str:
    path = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppConfigLocation)
    return path or os.path.join(os.path.expanduser("~"), ".config", "stepgrad")


class Controller(QObject):
    run_finished = Signal(object)  # RunResult, after every panel was updated
    symbolic_finished = Signal(object)  # list[CheckReport]
    function_plotted = Signal(object)  # FunctionCurves

    def __init__(self, window, config_dir: str | None = None,
                 ask: Callable[[str, str], bool] | None = None, parent: QObject | None = None):
        super().__init__(parent or window)
        self.window = window
        self.state = AppState()
        self.config_dir = config_dir or default_config_dir()
        self.jobs = Jobs(self)
        self.sessions = SessionFeature(self, self.config_dir, ask)
        self.analysis = AnalysisFeature(self)
        self.runs = RunFeature(self)
        self.lessons = LessonFeature(self)

        from desktop.layout import layout, warm

        # grandalf takes 10-200 ms past a dozen boxes (and its import 0.3 s): in a worker,
        # except a small drawing once it is imported
        window.graph_view.set_layout_fn(layout, sync_max=0, warm=warm)
        self.scope = install_scope(window, self)  # resets every panel when the program changes
        window.run_requested.connect(self.start_run)
        window.stop_requested.connect(self.stop_run)
        window.file_opened.connect(self.sessions.file_opened)
        window.session_opener = self.open_session
        # watches are the user's code: evaluated off the GUI thread, with a time limit
        window.inspector.set_evaluator(
            WatchEvaluator(self.state.evaluate, on_late=window.inspector.deliver_late))
        for action_id, act in window.action_set.install("controller", self).items():
            setattr(self, "act_" + action_id.split(".", 1)[1], act)
        self.lessons_menu = window.action_set.menus["lessons"]
        self.tools_menu = window.action_set.menus["tools"]
        # `stepgrad work.stepgrad`: left for us by create_window (a bad one must change
        # nothing, not even the recent files); opened before the lessons, whose start page
        # shows only over an empty editor
        session_arg, window.pending_session = getattr(window, "pending_session", None), None
        if session_arg and not self.open_session(session_arg):
            window.new_file(ask=False)
        self.lessons.install()
        window.installEventFilter(self)
        window.editor.document().modificationChanged.connect(self.sessions.modification_changed)
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave_now)
        self._autosave_timer.start()
        QTimer.singleShot(0, self, self._follow_debugger)  # wire() attaches it after us

    def _follow_debugger(self) -> None:
        bridge = getattr(getattr(self.window, "debugger", None), "bridge", None)
        if bridge is not None:
            self.analysis.follow_debugger(bridge)

    # ---- running -----------------------------------------------------------------------------
    @property
    def run(self):
        """The running ``ScriptRun``, or None."""
        return self.runs.current

    @property
    def running(self) -> bool:
        return self.runs.current is not None

    def start_run(self, source: str) -> bool:
        return self.runs.start(source)

    def stop_run(self) -> None:
        self.runs.stop()

    def forget_run(self) -> None:
        """Stop a running script whose program left the editor; its result is never shown."""
        self.runs.forget()

    def clear_results(self, reason: str = "New code in the editor: run it (F5).") -> None:
        """Forget the last run's display when other code replaces the editor's (a lesson, a
        session, generated code): its graph and grads would describe code no longer there.
        ``ProgramScope`` resets every panel, the debugger's too."""
        self.scope.program_replaced(reason)

    def forget_results(self) -> None:
        """The run's state and the views made from it (``ProgramScope`` calls this)."""
        self.state.reset_run()
        self.analysis.forget_check()
        self.analysis.clear_views()

    # ---- analysis ----------------------------------------------------------------------------
    def compute_symbolic(self, *_args, calls=None, auto: bool = False) -> bool:
        return self.analysis.compute_symbolic(calls=calls, auto=auto)

    def plot_function_dialog(self) -> None:
        text, ok = QInputDialog.getText(
            self.window, "Plot f, f′, f″",
            "f(x) = an expression in x (torch is the engine), or the name of a one-argument "
            "function from the last run.\nOptionally end with ', lo, hi' for the range:",
            text=self.analysis.guess_function() + ", -3, 3")
        if ok and text.strip():
            self.plot_function(text)

    def plot_function(self, text: str):
        return self.analysis.plot_function(text)

    @property
    def closed_curves(self) -> dict:
        """The dashed sympy curves over the engine's f, f', f''."""
        return self.window.plots.closed_curves

    @property
    def landscape(self):
        return self.analysis.landscape

    @property
    def boundary(self):
        return self.analysis.boundary

    @property
    def pair_landscape(self):
        return self.analysis.pair_landscape

    def join_jobs(self, timeout: float = 10.0) -> bool:
        return self.jobs.join(timeout)

    # ---- lessons and builder -----------------------------------------------------------------
    @property
    def lessons_panel(self):
        return self.lessons.panel

    def open_lesson(self, code: str, lesson_id: str) -> bool:
        return self.lessons.open_lesson(code, lesson_id)

    def open_builder(self, exec_dialog: bool = True):
        return self.lessons.open_builder(exec_dialog)

    def insert_generated_code(self, code: str) -> bool:
        return self.lessons.insert_generated_code(code)

    def set_spec(self, spec) -> None:
        self.lessons.set_spec(spec)

    # ---- sessions, export, autosave ----------------------------------------------------------
    @property
    def autosave(self):
        return self.sessions.autosave

    @property
    def window_factory(self):
        return self.sessions.window_factory

    @window_factory.setter
    def window_factory(self, factory) -> None:
        self.sessions.window_factory = factory

    def current_session(self):
        return self.sessions.current_session()

    def save_session(self, path: str) -> bool:
        return self.sessions.save_session(path)

    def open_session(self, path: str) -> bool:
        return self.sessions.open_session(path)

    def apply_session(self, s, modified: bool = False) -> None:
        self.sessions.apply_session(s, modified)

    def open_session_dialog(self) -> None:
        self.sessions.open_session_dialog()

    def save_session_dialog(self) -> None:
        self.sessions.save_session_dialog()

    def export_text(self, backend: str = "engine", check: bool = False) -> str:
        return self.sessions.export_text(backend, check)

    def export_to(self, path: str, backend: str = "engine", check: bool = False) -> bool:
        return self.sessions.export_to(path, backend, check)

    def export_engine_dialog(self) -> None:
        self.sessions.export_dialog("engine")

    def export_check_dialog(self) -> None:
        self.sessions.export_dialog("engine", check=True)

    def export_torch_dialog(self) -> None:
        self.sessions.export_dialog("torch")

    def autosave_now(self) -> bool:
        return self.sessions.autosave_now()

    def offer_recovery(self) -> bool:
        return self.sessions.offer_recovery()

    def open_window(self):
        """A new wired window for a recovered autosave (its controller), or None."""
        return self.sessions.open_window()

    # ---- lifetime ----------------------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:
        if obj is self.window and event.type() == QEvent.Type.Close:
            # The window may still refuse (unsaved changes): decide once it has.
            QTimer.singleShot(0, self, self._after_close)
        return False

    def _after_close(self) -> None:
        if not self.window.isVisible():
            self.shutdown()

    def shutdown(self) -> None:
        """Window closed for good: stop the run and the check, forget the autosave."""
        self._autosave_timer.stop()
        self.stop_run()
        self.analysis.cancel_symbolic()
        self.sessions.autosave.clear()


def install(window, **kwargs) -> Controller:
    """Create the controller for ``window`` (kept alive as its child, and as
    ``window.controller``). With ``STEPGRAD_QUIT_AFTER_START=1`` the app quits after the first
    event-loop tick (start-up timing)."""
    controller = Controller(window, **kwargs)
    window.controller = controller
    if os.environ.get(QUIT_ENV) == "1":
        QTimer.singleShot(0, controller, QApplication.quit)
    else:
        QTimer.singleShot(0, controller, controller.offer_recovery)
        QTimer.singleShot(500, controller, _prewarm)
    return controller


def _prewarm() -> None:
    """Import symbolic (and sympy) in the background once the window is up, so the first run's
    recorder and the first check don't wait for it; start the check's process meanwhile."""
    from desktop.app_state import LOADER
    from desktop.check_process import server

    LOADER.start()
    threading.Thread(target=server().prestart, name="check-process-start", daemon=True).start()
