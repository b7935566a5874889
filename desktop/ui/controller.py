"""The integrator: one QObject that owns the running script and wires the main window's pieces.

    controller = install(window)       # desktop/app.py does this for every window

- Run (F5) starts a ``desktop.runner.ScriptRun`` off the GUI thread; its callbacks arrive on the
  worker thread, so output goes into a locked buffer drained by a 30 ms QTimer (a print-heavy
  loop can't flood the event queue) and the result comes back as a queued signal. Stop
  (Shift+F5) asks the run to end; the GUI never waits for it.
- The result goes to every panel (``MainWindow.show_result``): graph (laid out by
  ``desktop.layout``), inspector, output with the error's traceback, the loss curve; watch
  expressions are evaluated in the finished run's namespace.
- The same run feeds ``symbolic.Recorder`` (``desktop.app_state.symbolic_executor``); the Symbolic
  panel's Compute runs the three-way check in a worker, with Cancel and a time limit.
- Plots > f, f′, f″: a function of one variable through the engine and sympy, in a worker.
- Lessons (menu and start page), the model builder and its loss landscape, sessions (open never
  runs anything), autosave with a recovery prompt, export as a script (engine or PyTorch).

Everything the controller remembers between runs is in ``desktop.app_state.AppState`` (no Qt).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QMessageBox,
)

from desktop import session as sessions
from desktop.app_state import AppState, symbolic_executor
from desktop.model import GraphSnapshot, OutputChunk, RunResult
from desktop.runner import ScriptRun
from desktop.ui import pyside_refcount
from desktop.ui.program_scope import install_scope
from desktop.ui.symbolic_view import SymbolicView
from desktop.ui.workers import Job
from desktop.variables import module_variables
from desktop.watch_eval import WatchEvaluator

pyside_refcount.apply()  # PySide6 6.12 drops a ref to True on every emit

OUTPUT_FLUSH_MS = 30
AUTOSAVE_MS = 30_000
OUTPUT_BUFFER_LIMIT = 2_000_000  # characters held between flushes; the rest is summarised
SESSION_FILTER = "stepgrad sessions (*.stepgrad);;All files (*)"
CHECK_CALLS = 5  # calls checked per Compute (the first ones and the last): ~1 s each for an MLP
QUIT_ENV = "STEPGRAD_QUIT_AFTER_START"  # "1": quit after the first event-loop tick (start-up test)


def default_config_dir() -> str:
    path = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppConfigLocation)
    return path or os.path.join(os.path.expanduser("~"), ".config", "stepgrad")


class Controller(QObject):
    run_finished = Signal(object)  # RunResult, after every panel was updated
    symbolic_finished = Signal(object)  # list[CheckReport]
    function_plotted = Signal(object)  # FunctionCurves
    _run_done = Signal(object, object)  # (ScriptRun, RunResult), from the worker thread

    def __init__(self, window, config_dir: str | None = None,
                 ask: Callable[[str, str], bool] | None = None, parent: QObject | None = None):
        super().__init__(parent or window)
        self.window = window
        self.state = AppState()
        self.run: ScriptRun | None = None
        self._holder: dict = {}
        self._buffer: list[OutputChunk] = []
        self._buffered = 0
        self._dropped = 0
        self._lock = threading.Lock()
        self._jobs: set[Job] = set()
        self._cancel = None  # symbolic CancelToken of the running check
        self._check_job: Job | None = None
        self.config_dir = config_dir or default_config_dir()
        self.ask = ask or self._ask_dialog
        self.autosave = sessions.Autosave(os.path.join(self.config_dir, "autosave"))
        self.window_factory: Callable[[], object] | None = None  # for recovered autosaves
        self.landscape = None
        self.boundary = None  # the classifier's decision boundary panel, made when needed
        self.pair_landscape = None  # the loss over two chosen elements, for bigger models
        self.lessons_panel = None

        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(OUTPUT_FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush_output)
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave_now)
        self._run_done.connect(self._on_run_done, Qt.ConnectionType.QueuedConnection)

        self._install_layout()
        self._install_symbolic()
        self.scope = install_scope(window, self)  # resets every panel when the program changes
        window.run_requested.connect(self.start_run)
        window.stop_requested.connect(self.stop_run)
        window.file_opened.connect(self._on_file_opened)
        window.session_opener = self.open_session
        # watches are the user's code: evaluated off the GUI thread, with a time limit
        window.inspector.set_evaluator(
            WatchEvaluator(self.state.evaluate, on_late=window.inspector.deliver_late))
        window.inspector.tensor_selected.connect(self._on_tensor_selected)
        self._build_menus()
        # `stepgrad work.stepgrad`: left for us by create_window (a bad one must change
        # nothing, not even the recent files); opened before the lessons, whose start page
        # shows only over an empty editor
        session_arg, window.pending_session = getattr(window, "pending_session", None), None
        if session_arg and not self.open_session(session_arg):
            window.new_file(ask=False)
        self._install_lessons()
        window.installEventFilter(self)
        # saved (or reverted): an autosave would offer back what is on disk anyway
        window.editor.document().modificationChanged.connect(self._on_modification_changed)
        self._autosave_timer.start()
        QTimer.singleShot(0, self, self._follow_debugger)  # wire() attaches it after us

    # ---- wiring ------------------------------------------------------------------------------
    def _install_layout(self) -> None:
        from desktop.layout import layout

        # grandalf takes 10-200 ms even on small drawings: never on the GUI thread
        self.window.graph_view.set_layout_fn(layout, sync_max=0)

    def _install_symbolic(self) -> None:
        w = self.window
        view = SymbolicView(theme=w.theme)
        w.docks["symbolic"].setWidget(view)
        old, w.symbolic = w.symbolic, view  # show_result/set_theme talk to w.symbolic
        old.deleteLater()
        view.compute_requested.connect(self.compute_symbolic)
        view.cancel_requested.connect(self.cancel_symbolic)

    def _action(self, text: str, slot, shortcut: str | None = None, tip: str = "") -> QAction:
        act = QAction(text, self.window)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
            keys = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            act.setToolTip(f"{tip or text.replace('&', '').rstrip('…')} ({keys})")
        elif tip:
            act.setToolTip(tip)
        act.setStatusTip(tip or text.replace("&", "").rstrip("…"))
        act.triggered.connect(lambda _c=False: slot())
        return act

    def _build_menus(self) -> None:
        w = self.window
        file_menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&File")
        before = w.act_export_graph
        self.act_open_session = self._action("Open &Session…", self.open_session_dialog,
                                             "Ctrl+Shift+O", "Open a .stepgrad session (its code "
                                             "is not run)")
        self.act_save_session = self._action("Save Sess&ion…", self.save_session_dialog,
                                             "Ctrl+Alt+S", "Save code, breakpoints, watches and "
                                             "lesson as a .stepgrad session")
        self.act_export_engine = self._action("Export as Script (&engine)…",
                                              lambda: self.export_dialog("engine"), None,
                                              "A standalone script that runs on stepgrad's "
                                              "engine and prints the grads")
        self.act_export_torch = self._action("Export as Script (&PyTorch)…",
                                             lambda: self.export_dialog("torch"), None,
                                             "A standalone script for real PyTorch")
        self.act_export_check = self._action(
            "Export as Script with Gradient &Check (engine)…",
            lambda: self.export_dialog("engine", check=True), None,
            "The engine script, followed by the three-way check of its first two and last "
            "backward() calls (the calls in between are counted)")
        for act in (self.act_open_session, self.act_save_session):
            file_menu.insertAction(before, act)
        file_menu.insertSeparator(before)
        for act in (self.act_export_engine, self.act_export_check, self.act_export_torch):
            file_menu.insertAction(before, act)
        file_menu.insertSeparator(before)

        bar = w.menuBar()
        help_action = next(a for a in bar.actions() if a.text() == "&Help")
        self.lessons_menu = bar.addMenu("&Lessons")
        bar.insertMenu(help_action, self.lessons_menu)
        tools = bar.addMenu("&Tools")
        bar.insertMenu(help_action, tools)
        self.tools_menu = tools
        self.act_builder = self._action("&Model Builder…", self.open_builder, "Ctrl+Shift+B",
                                        "Write a model's training code from a form")
        self.act_function = self._action("Plot &f, f′, f″…", self.plot_function_dialog,
                                         "Ctrl+Shift+F", "Plot a function of one variable and "
                                         "its derivatives (engine and sympy)")
        self.act_check = self._action("&Symbolic Check", self.compute_symbolic, "Ctrl+Shift+C",
                                      "Three-way check of the last run's gradients")
        tools.addActions([self.act_builder, self.act_function, self.act_check])

    def _install_lessons(self) -> None:
        from desktop import lessons
        from desktop.ui.lessons_panel import GROUPS, LessonsPanel

        panel = LessonsPanel()
        panel.open_requested.connect(self.open_lesson)
        self.lessons_panel = panel
        dock = self.window.add_panel("lessons", "Lessons", panel)
        self.lessons_menu.addAction(dock.toggleViewAction())
        topic = None
        for n, lesson in enumerate(lessons.all_lessons(), 1):
            if lesson.topic != topic:  # one section per group, titled as in the panel
                topic = lesson.topic
                self.lessons_menu.addSection(GROUPS.get(topic, topic.title()))
            act = self._action(f"{n}. {lesson.title}", lambda lid=lesson.id: self.open_lesson(
                lessons.get(lid).code, lid), None, lesson.explanation.split("\n\n", 1)[0][:200])
            self.lessons_menu.addAction(act)
        if not self.window.source().strip():  # the start page when nothing is open
            dock.raise_()
            QTimer.singleShot(0, self, self._show_start_page)  # once the window has its size
        elif "output" in self.window.docks:  # a file or session: its output tab in front
            self.window.docks["output"].raise_()

    def _show_start_page(self) -> None:
        if not self.window.source().strip():  # an empty editor needs no room: the lessons do
            self._show_bottom("lessons", 0.5)

    # ---- running -----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.run is not None

    def start_run(self, source: str) -> bool:
        if self.run is not None:
            return False
        self.cancel_symbolic()
        self._check_job = None  # its late result is about the previous run: ignored
        self.window.symbolic.set_not_computed("The script is running…")
        # the script may end the process (os._exit, a crash in an extension): the editor's
        # unsaved text must survive it
        self.autosave_now()
        holder: dict = {}
        run = ScriptRun(source, on_output=self._on_output,
                        on_done=lambda result: self._emit_done(run, result),
                        script_path=self.window.path if self.window.path and
                        self.window.path.endswith(".py") else None)
        run.executor = symbolic_executor(run, holder)  # waits for the symbolic import if needed
        self.run, self._holder = run, holder
        with self._lock:
            self._buffer, self._buffered, self._dropped = [], 0, 0
        if not self.window.running:  # started by code, not by the Run action
            self.window.output.clear()
            self.window.editor.clear_error()
            self.window.set_running(True)
        lessons = self.window.docks.get("lessons")
        if self.state.lesson is None and lessons is not None and \
                not lessons.visibleRegion().isEmpty():
            # the start page would hide the output of the user's own script
            self.window.docks["output"].raise_()
        self._flush_timer.start()
        run.start()
        return True

    def stop_run(self) -> None:
        if self.run is not None:
            self.run.stop()

    def _emit_done(self, run: ScriptRun, result: RunResult) -> None:
        with contextlib.suppress(RuntimeError):  # the controller is gone (window closed)
            self._run_done.emit(run, result)

    def _on_output(self, chunk: OutputChunk) -> None:  # worker thread
        with self._lock:
            if self._buffered > OUTPUT_BUFFER_LIMIT:
                self._dropped += len(chunk.text)
                return
            self._buffer.append(chunk)
            self._buffered += len(chunk.text)

    def flush_output(self) -> None:
        with self._lock:
            chunks, self._buffer = self._buffer, []
            self._buffered = 0
            dropped, self._dropped = self._dropped, 0
        if dropped:  # the full output arrives with the result; say what was skipped meanwhile
            chunks.append(OutputChunk(f"\n[… {dropped} characters not shown while running …]\n",
                                      "stderr"))
        if not chunks:
            return
        # consecutive chunks of one stream become one insert
        text, stream = "", chunks[0].stream
        for c in chunks:
            if c.stream != stream:
                self.window.append_output(text, stream)
                text, stream = "", c.stream
            text += c.text
        if text:
            self.window.append_output(text, stream)

    def _on_run_done(self, run: ScriptRun, result: RunResult) -> None:
        if run is not self.run:
            return  # a run replaced meanwhile (never shown)
        self._flush_timer.stop()
        self.flush_output()
        self.run = None
        self.state.finish_run(result, run.namespace, self._holder)
        w = self.window
        w.show_result(result)
        w.inspector.set_variables(module_variables(self.state.namespace))
        names = result.extras.get("engine_modules")
        if names:
            w.statusBar().showMessage(
                "import torch ran on the stepgrad engine: "
                + ", ".join(f"{k} → {v}" for k, v in sorted(names.items())), 6000)
        w.symbolic.set_ready(self.state.checkable)
        self._auto_check()
        if not self.state.checkable and result.status == "finished":
            w.symbolic.set_not_computed(
                self.state.symbolic_note or "The script made no backward() or autograd.grad() "
                "call, so there is no gradient to check.")
        self._update_landscape(trail=result.extras.get("point_trail"))
        self.run_finished.emit(result)

    def clear_results(self, reason: str = "New code in the editor: run it (F5).") -> None:
        """Forget the last run's display when other code replaces the editor's (a lesson, a
        session, generated code): its graph and grads would describe code no longer there.
        ``ProgramScope`` resets every panel, the debugger's too."""
        self.scope.program_replaced(reason)

    def forget_run(self) -> None:
        """Stop a running script whose program left the editor; its result is never shown."""
        run, self.run = self.run, None
        if run is None:
            return
        run.stop()
        self._flush_timer.stop()
        with self._lock:
            self._buffer, self._buffered, self._dropped = [], 0, 0
        self.window.set_running(False)

    # ---- watches / inspector -----------------------------------------------------------------
    def _on_tensor_selected(self, name: str) -> None:
        view = self.window.symbolic
        if isinstance(view, SymbolicView) and view.reports:
            view.select_target(name)

    # ---- symbolic check ----------------------------------------------------------------------
    def _auto_check(self) -> None:
        """After a run, the last backward() is checked by itself when its graph is small."""
        from desktop.symbolic_auto import small_enough

        calls = self.state.symbolic_calls
        if calls and self.state.checkable and small_enough(calls[-1]):
            self.compute_symbolic(calls=[calls[-1]], auto=True)

    def compute_symbolic(self, *_args, calls=None, auto: bool = False) -> bool:
        calls = list(self.state.symbolic_calls) if calls is None else list(calls)
        view = self.window.symbolic
        if self._check_job is not None and getattr(self, "_check_auto", False) and not auto:
            self.cancel_symbolic()  # Compute asked for more than the automatic check
            self._check_job = None
        # a disabled Compute means the panel no longer shows the recorded run (e.g. a debugged
        # run came after it): checking those calls would answer for other code
        if not calls or self._check_job is not None or not view.compute.isEnabled():
            return False
        self._check_auto = auto
        from symbolic import CancelToken

        note = self.state.symbolic_note
        if len(calls) > CHECK_CALLS:  # a training loop: its first steps and its last are enough
            skipped = len(calls) - CHECK_CALLS
            calls = calls[:CHECK_CALLS - 1] + calls[-1:]
            note = "; ".join(n for n in (note, f"{skipped} recorded calls in between were not "
                                         "checked (the first and the last ones were)") if n)
        self._check_note = note
        token = CancelToken()
        self._cancel = token
        limit = view.time_limit()
        if auto:
            from desktop.symbolic_auto import AUTO_TIME_LIMIT

            limit = min(limit, AUTO_TIME_LIMIT)
        view.set_computing(len(calls), auto=auto)

        code = self.state.symbolic_code
        ran = self.state.result.seconds if self.state.result is not None else 0.0

        def work():
            from desktop.symbolic_rerun import (AUTO_RERUN_SECONDS, RERUN_SECONDS,
                                                with_independent_checks)
            from symbolic import Options, check_all

            # the panel renders LaTeX; the unicode pretty form would only be a tooltip
            reports = check_all(calls, Options(time_limit=limit, pretty=False), cancel=token)
            return with_independent_checks(reports, calls, code, AUTO_RERUN_SECONDS if auto
                                           else RERUN_SECONDS, token, ran)

        job = self._start_job(work, "stepgrad-symbolic")
        self._check_job = job
        job.done.connect(lambda reports, job=job: self._on_checked(job, reports))
        job.failed.connect(lambda exc, job=job: self._on_check_failed(job, exc))
        return True

    def cancel_symbolic(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()

    def _on_checked(self, job: Job, reports) -> None:
        if job is not self._check_job:
            return
        self._check_job, self._cancel = None, None
        view = self.window.symbolic
        view.show_reports(reports, getattr(self, "_check_note", ""))
        selected = self.window.inspector.selected_name()
        if selected:
            view.select_target(selected)
        if not getattr(self, "_check_auto", False):  # a check nobody asked for stays behind
            self._show_bottom("symbolic")
        self.symbolic_finished.emit(reports)

    def _on_check_failed(self, job: Job, exc: BaseException) -> None:
        if job is not self._check_job:
            return
        self._check_job, self._cancel = None, None
        self.window.symbolic.show_failure(
            f"The symbolic check failed: {type(exc).__name__}: {exc}")

    def _show_bottom(self, key: str, share: float = 0.42) -> None:
        """Raise a bottom panel and give it room for its table or plot, unless the user
        already made it at least that tall."""
        w = self.window
        dock = w.docks[key]
        dock.show()
        dock.raise_()
        want = int(w.height() * share)
        if not dock.isFloating() and dock.height() < want:
            w.resizeDocks([dock], [want], Qt.Orientation.Vertical)

    def _start_job(self, fn, name: str) -> Job:
        job = Job(fn, name, parent=self)
        self._jobs.add(job)
        job.done.connect(lambda _r, job=job: self._jobs.discard(job))
        job.failed.connect(lambda _e, job=job: self._jobs.discard(job))
        return job.start()

    def join_jobs(self, timeout: float = 10.0) -> bool:
        """Wait (off the event loop: for tests and shutdown paths) until the worker threads of
        the background jobs have ended; True when they all have."""
        end = time.monotonic() + timeout
        for job in list(self._jobs):
            if job.thread is not None:
                job.thread.join(max(0.0, end - time.monotonic()))
        return not any(j.thread is not None and j.thread.is_alive() for j in self._jobs)

    # ---- f, f', f'' --------------------------------------------------------------------------
    def _guess_function(self) -> str:
        import inspect

        for name, value in self.state.namespace.items():
            if inspect.isfunction(value) and getattr(value.__code__, "co_filename", "") \
                    .startswith("<stepgrad") and value.__code__.co_argcount == 1:
                return name
        return "torch.sin(x) * x**2"

    def plot_function_dialog(self) -> None:
        text, ok = QInputDialog.getText(
            self.window, "Plot f, f′, f″",
            "f(x) = an expression in x (torch is the engine), or the name of a one-argument "
            "function from the last run.\nOptionally end with ', lo, hi' for the range:",
            text=self._guess_function() + ", -3, 3")
        if ok and text.strip():
            self.plot_function(text)

    def plot_function(self, text: str) -> Job | None:
        """``text``: "expr" or "expr, lo, hi". The curves are computed in a worker."""
        from desktop.ui.function_plot import compile_function, function_curves

        parts = [p.strip() for p in text.rsplit(",", 2)]
        lo, hi = -3.0, 3.0
        if len(parts) == 3:
            try:
                lo, hi = float(parts[1]), float(parts[2])
                text = parts[0]
            except ValueError:
                pass
        try:
            fn = compile_function(text, self.state.namespace)
        except (SyntaxError, ValueError) as exc:
            self._warn("Cannot plot", f"{type(exc).__name__}: {exc}")
            return None
        job = self._start_job(lambda: function_curves(fn, lo, hi), "stepgrad-fplot")
        job.done.connect(self._show_curves)
        job.failed.connect(lambda exc: self._warn(
            "Cannot plot", f"f({text}) failed: {type(exc).__name__}: {exc}"))
        return job

    def _show_curves(self, curves) -> None:
        self.window.plots.show_function(curves.xs, curves.f, curves.df, curves.d2f,
                                        dict(curves.forms), dict(curves.closed))
        self._show_bottom("plots")
        if curves.notes:
            self.window.statusBar().showMessage("; ".join(curves.notes), 8000)
        self.function_plotted.emit(curves)

    @property
    def closed_curves(self) -> dict:
        """The dashed sympy curves over the engine's f, f', f''."""
        return self.window.plots.closed_curves

    # ---- lessons -----------------------------------------------------------------------------
    def open_lesson(self, code: str, lesson_id: str) -> bool:
        from desktop import lessons

        w = self.window
        if not w.maybe_save():
            return False
        w.new_file(ask=False)
        w.editor.setPlainText(code)
        w.editor.document().setModified(False)
        self.clear_results()
        self.state.lesson = lesson_id
        self.state.session_path = None
        self.state.spec = None  # the builder's model is not the lesson's
        lesson = lessons.find(lesson_id)
        title = lesson.title if lesson else lesson_id
        w.setWindowTitle(f"Lesson: {title}[*] — stepgrad")
        if self.lessons_panel is not None:
            self.lessons_panel.select(lesson_id)
            self._show_bottom("lessons", 0.33)  # the lesson's text beside, not over, its code
        w.statusBar().showMessage(f"Lesson “{title}” is in the editor: press F5 to run it", 6000)
        return True

    # ---- model builder and loss landscape ----------------------------------------------------
    def open_builder(self, exec_dialog: bool = True):
        from desktop.ui.builder_dialog import BuilderDialog

        dialog = BuilderDialog(self.window, spec=self.state.spec)
        dialog.code_generated.connect(self.insert_generated_code)
        dialog.spec_chosen.connect(self.set_spec)
        if exec_dialog:
            dialog.exec()
        return dialog

    def insert_generated_code(self, code: str) -> bool:
        w = self.window
        untouched = w.source() == getattr(self, "_generated", None)  # the last Insert's code
        if not untouched and not w.maybe_save():
            return False
        self._generated = code
        w.new_file(ask=False)
        w.editor.setPlainText(code)
        w.editor.document().setModified(True)  # generated code is the user's new, unsaved work
        self.clear_results()
        self.state.lesson = None
        w.statusBar().showMessage("The model's code is in the editor: press F5 to train it",
                                  6000)
        return True

    def set_spec(self, spec) -> None:
        self.state.spec = spec
        if spec is not None and spec.two_parameter:
            view = self._landscape_view()
            view.clear()
            self.window.docks["landscape"].show()
            self.window.docks["landscape"].raise_()

    def _landscape_view(self):
        if self.landscape is None:
            from PySide6.QtCore import Qt as _Qt

            from desktop.ui.landscape import LandscapeView

            self.landscape = LandscapeView(theme=self.window.theme)
            self.window.add_panel("landscape", "Loss Landscape", self.landscape,
                                  area=_Qt.DockWidgetArea.RightDockWidgetArea,
                                  tabify_with="graph")
        return self.landscape

    def _show_boundary(self, ns: dict) -> None:
        """The builder's 2-D classifier: its decision boundary, in a panel beside the graph."""
        from desktop.decision_boundary import boundary_from_namespace

        found = boundary_from_namespace(ns)
        if found is None:
            return
        if self.boundary is None:
            from desktop.ui.boundary_view import BoundaryView

            self.boundary = BoundaryView(theme=self.window.theme)
            self.window.add_panel("boundary", "Decision Boundary", self.boundary,
                                  area=Qt.DockWidgetArea.RightDockWidgetArea,
                                  tabify_with="graph")
        self.boundary.set_boundary(found)
        self.window.docks["boundary"].show()
        self.window.docks["boundary"].raise_()

    def _follow_debugger(self) -> None:
        """Move the loss landscape's point at every debugger stop (and through its history):
        the landscape follows the user stepping through training, not only finished runs."""
        wiring = getattr(self.window, "debugger", None)
        bridge = getattr(wiring, "bridge", None)
        if bridge is None:
            return
        bridge.paused.connect(self._on_debug_state)
        bridge.viewed.connect(self._on_debug_state)

    def _on_debug_state(self, state) -> None:
        tensors = getattr(state, "tensors", ())
        if self.landscape is None and self.state.spec is None and \
                not {"w", "b"} <= {t.name for t in tensors}:
            return  # no (w, b) model: stepping stays as fast as it can be
        self._update_landscape({t.name: t.value for t in tensors})

    def _update_landscape(self, namespace: dict | None = None, trail=None) -> None:
        """After a run: the landscape of the builder's two-parameter model, or of any script
        with a one-element ``w`` and ``b`` and data ``X``, ``y`` (or ``Y``), taken as linear
        regression with the mean squared error."""
        spec = self.state.spec
        ns = self.state.namespace if namespace is None else namespace
        if spec is not None and spec.template == "classifier":
            self._show_boundary(ns)
        if spec is not None and not spec.two_parameter:
            from desktop.ui.pair_landscape_view import show_pair_landscape

            try:
                show_pair_landscape(self, ns, spec)
            except Exception as exc:  # a landscape problem must not spoil the run's display
                self.window.statusBar().showMessage(f"No loss landscape: {exc}", 6000)
            return
        if spec is None:
            from desktop.builder import ModelSpec

            if "y" not in ns and "Y" in ns:
                ns = {**ns, "y": ns["Y"]}
            if not all(_one_element(ns.get(k)) for k in "wb") or "X" not in ns or "y" not in ns:
                return
            spec = ModelSpec()
        try:
            view = self._landscape_view()
            shown = view.update_from_namespace(ns, spec)
            if shown and trail:
                view.show_run(ns, spec, trail)
        except Exception as exc:  # a landscape problem must not spoil the run's display
            self.window.statusBar().showMessage(f"No loss landscape: {exc}", 6000)
            return
        if shown and self.state.spec is None:
            self.window.docks["landscape"].show()

    # ---- sessions ----------------------------------------------------------------------------
    def current_session(self) -> sessions.Session:
        w = self.window
        settings = {"theme": w.theme.name}
        practice = getattr(w, "practice", None)
        if practice is not None:
            settings["practice"] = practice.to_settings()
        s = self.state.session(w.source(), w.editor.breakpoints, w.inspector.watches, settings)
        debugger = getattr(w, "debugger", None)
        conditions = debugger.conditions() if debugger is not None else {}
        if not conditions:
            return s
        bps = tuple(sessions.Breakpoint(b.line, conditions.get(b.line)) for b in s.breakpoints)
        return dataclasses.replace(s, breakpoints=bps)

    def save_session(self, path: str) -> bool:
        try:
            sessions.save(self.current_session(), path)
        except sessions.SessionError as exc:
            self._warn("Cannot save the session", str(exc))
            return False
        self.state.session_path = os.path.abspath(path)
        self.window._add_recent(self.state.session_path)
        self.window.editor.document().setModified(False)
        self.window.setWindowTitle(f"{os.path.basename(path)}[*] — stepgrad")
        self.window.statusBar().showMessage(f"Saved session {path}", 4000)
        return True

    def open_session(self, path: str) -> bool:
        """Load a session's code, breakpoints, watches and lesson. Nothing in it runs."""
        try:
            s = sessions.load(path)
        except sessions.SessionError as exc:
            self._warn("Cannot open the session", str(exc))
            return False
        self.apply_session(s)
        self.state.session_path = os.path.abspath(path)
        self.window._add_recent(self.state.session_path)
        w = self.window
        w.path = None  # Save writes a .py script; the session is saved with Save Session
        w.setWindowTitle(f"{os.path.basename(path)}[*] — stepgrad")
        w.statusBar().showMessage(f"Opened session {path} (not run: press F5 to run it)", 6000)
        return True

    def apply_session(self, s: sessions.Session, modified: bool = False) -> None:
        w = self.window
        # Before anything of the session reaches the inspector: its watches must find no
        # namespace to be evaluated in (nor gain one from a run of the code it replaces).
        self._forget_runs()
        self.clear_results()
        w.new_file(ask=False)
        w.editor.setPlainText(s.code)
        w.editor.set_breakpoints(b.line for b in s.breakpoints)
        debugger = getattr(w, "debugger", None)
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
        self.clear_results()
        for text in problems:  # after the clear, so the note stays until the next run
            w.output.append(text, "stderr")
        self.state.lesson = s.lesson
        self.state.spec = None  # a builder spec is not saved with the session
        practice = getattr(w, "practice", None)
        if practice is not None:
            practice.load_settings(s.settings.get("practice"))
        w.editor.document().setModified(modified)

    def _forget_runs(self) -> None:
        """Stop the running script or debugged run, whose results would describe code no
        longer in the editor; a plain run's late result is dropped (``_on_run_done``)."""
        debugger = getattr(self.window, "debugger", None)
        if debugger is not None and debugger.debugging:
            debugger.stop()
        run, self.run = self.run, None
        if run is not None:
            run.stop()
            self._flush_timer.stop()
            with self._lock:
                self._buffer, self._buffered, self._dropped = [], 0, 0
            self.window.set_running(False)

    def open_session_dialog(self) -> None:
        if not self.window.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Open session",
                                              self.window._last_dir(), SESSION_FILTER)
        if path:
            self.open_session(path)

    def save_session_dialog(self) -> None:
        start = self.state.session_path or os.path.join(self.window._last_dir(),
                                                        "untitled" + sessions.SUFFIX)
        path, _ = QFileDialog.getSaveFileName(self.window, "Save session", start, SESSION_FILTER)
        if path:
            if not path.endswith(sessions.SUFFIX):
                path += sessions.SUFFIX
            self.save_session(path)

    def _on_file_opened(self, path: str) -> None:
        if path.endswith(sessions.SUFFIX):  # from Open Recent or the command line
            self.open_session(path)
        else:
            self.clear_results(f"Opened {os.path.basename(path)}: run it (F5).")
            self.state.lesson = None
            self.state.spec = None
            self.state.session_path = None

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
            self._warn("Export failed", f"{path}\n\n{exc}")
            return False
        self.window.statusBar().showMessage(f"Exported {path}", 4000)
        return True

    def export_dialog(self, backend: str, check: bool = False) -> None:
        name = "exported_torch.py" if backend == "torch" else "exported.py"
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export as script", os.path.join(self.window._last_dir(), name),
            "Python files (*.py);;Jupyter notebooks (*.ipynb)")
        if path:
            self.export_to(path, backend, check)

    # ---- autosave and recovery ---------------------------------------------------------------
    def autosave_now(self) -> bool:
        w = self.window
        if not w.is_modified():
            return False
        try:
            self.autosave.save(self.current_session(), w.path or self.state.session_path)
        except sessions.SessionError:
            return False  # the next tick tries again; autosave never interrupts the user
        return True

    def _on_modification_changed(self, modified: bool) -> None:
        if not modified:
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
                self._warn("Cannot recover", str(exc))
                continue
            target = self if restored == 0 else self.open_window()
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
        self.cancel_symbolic()
        self.autosave.clear()

    def _warn(self, title: str, text: str) -> None:
        if os.environ.get("STEPGRAD_NO_DIALOGS"):
            self.window.statusBar().showMessage(f"{title}: {text}", 8000)
            return
        QMessageBox.warning(self.window, title, text)


def _one_element(value) -> bool:
    """A one-element tensor (or a snapshot's numpy array of one element)."""
    if value is None:
        return False
    size = value.numel() if hasattr(value, "numel") else getattr(value, "size", None)
    return size == 1


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
    recorder and the first check don't wait for it."""
    from desktop.app_state import LOADER

    LOADER.start()
