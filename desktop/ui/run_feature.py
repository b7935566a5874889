"""Run (F5): a ``desktop.runner.ScriptRun`` off the GUI thread, its output streamed into the
Output pane, its result handed to every panel.

The run's callbacks arrive on the worker thread: output goes into an ``OutputBuffer`` drained
by a 30 ms timer (a print-heavy loop can't flood the event queue) and the result comes back as
a queued signal. Stop asks the run to end; the GUI never waits for it.
"""

from __future__ import annotations

import contextlib
import threading

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from desktop.app_state import symbolic_executor
from desktop.model import OutputChunk, RunResult
from desktop.runner import ScriptRun
from desktop.variables import module_variables

OUTPUT_FLUSH_MS = 30
OUTPUT_BUFFER_LIMIT = 2_000_000  # characters held between flushes; the rest is summarised


class OutputBuffer:
    """Output chunks handed from the script's thread to the GUI's. Past ``limit`` characters
    between two takes, the rest is counted instead of kept (the full output comes with the
    result)."""

    def __init__(self, limit: int = OUTPUT_BUFFER_LIMIT):
        self.limit = limit
        self._lock = threading.Lock()
        self._chunks: list[OutputChunk] = []
        self._size = 0
        self._dropped = 0

    def add(self, chunk: OutputChunk) -> None:  # worker thread
        with self._lock:
            if self._size > self.limit:
                self._dropped += len(chunk.text)
                return
            self._chunks.append(chunk)
            self._size += len(chunk.text)

    def take(self) -> list[tuple[str, str]]:
        """Everything added since the last take as (text, stream), consecutive chunks of one
        stream joined, and a note of what was skipped."""
        with self._lock:
            chunks, self._chunks = self._chunks, []
            self._size = 0
            dropped, self._dropped = self._dropped, 0
        if dropped:
            chunks.append(OutputChunk(f"\n[… {dropped} characters not shown while running …]\n",
                                      "stderr"))
        out: list[tuple[str, str]] = []
        for c in chunks:
            if out and out[-1][1] == c.stream:
                out[-1] = (out[-1][0] + c.text, c.stream)
            elif c.text:
                out.append((c.text, c.stream))
        return out

    def clear(self) -> None:
        with self._lock:
            self._chunks, self._size, self._dropped = [], 0, 0


class RunFeature(QObject):
    """Owned by the ``Controller`` (``ctl``): it reaches the window, the state, the autosave and
    the analysis through it."""

    _done = Signal(object, object)  # (ScriptRun, RunResult), from the worker thread

    def __init__(self, ctl):
        super().__init__(ctl)
        self.ctl = ctl
        self.window = ctl.window
        self.current: ScriptRun | None = None
        self._holder: dict = {}
        self.output = OutputBuffer()
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(OUTPUT_FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush_output)
        self._done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)

    def start(self, source: str) -> bool:
        if self.current is not None:
            return False
        w = self.window
        self.ctl.analysis.run_starting()
        # the script may end the process (os._exit, a crash in an extension): the editor's
        # unsaved text must survive it
        self.ctl.autosave_now()
        holder: dict = {}
        run = ScriptRun(source, on_output=self.output.add,
                        on_done=lambda result: self._emit_done(run, result),
                        script_path=w.path if w.path and w.path.endswith(".py") else None)
        run.executor = symbolic_executor(run, holder)  # waits for the symbolic import if needed
        self.current, self._holder = run, holder
        self.output.clear()
        if not w.running:  # started by code, not by the Run action
            w.output.clear()
            w.editor.clear_error()
            w.set_running(True)
        lessons = w.docks.get("lessons")
        if self.ctl.state.lesson is None and lessons is not None and \
                not lessons.visibleRegion().isEmpty():
            # the start page would hide the output of the user's own script
            w.docks["output"].raise_()
        self._flush_timer.start()
        run.start()
        return True

    def stop(self) -> None:
        if self.current is not None:
            self.current.stop()

    def forget(self) -> None:
        """Stop a running script whose program left the editor; its result is never shown."""
        run, self.current = self.current, None
        if run is None:
            return
        run.stop()
        self._flush_timer.stop()
        self.output.clear()
        self.window.set_running(False)

    def flush_output(self) -> None:
        for text, stream in self.output.take():
            self.window.append_output(text, stream)

    def _emit_done(self, run: ScriptRun, result: RunResult) -> None:
        with contextlib.suppress(RuntimeError):  # the controller is gone (window closed)
            self._done.emit(run, result)

    def _on_done(self, run: ScriptRun, result: RunResult) -> None:
        # Both callbacks close over the run (a cycle): dropped, the finished run and everything
        # it holds (its namespace, the script's whole graph) are freed by reference counting
        # when the next run replaces them, not left to the GUI thread's next collection.
        run.on_done = run.executor = None
        if run is not self.current:
            return  # a run replaced meanwhile (never shown)
        self._flush_timer.stop()
        self.flush_output()
        self.current = None
        state = self.ctl.state
        state.finish_run(result, run.namespace, self._holder)
        w = self.window
        w.show_result(result)
        w.inspector.set_variables(module_variables(state.namespace))
        names = result.extras.get("engine_modules")
        if names:
            w.statusBar().showMessage(
                "import torch ran on the stepgrad engine: "
                + ", ".join(f"{k} → {v}" for k, v in sorted(names.items())), 6000)
        self.ctl.analysis.run_done(result)
        self.ctl.run_finished.emit(result)
