"""``DebugBridge``: a QObject that owns a ``DebugSession`` and re-emits its callbacks as Qt
signals, so the worker thread never touches a widget (signals emitted from the worker are
queued to the receivers' GUI thread)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from desktop.debugger import DebugSession


class DebugBridge(QObject):
    paused = Signal(object)  # DebugState: a new live stop
    finished = Signal(object)  # RunResult
    output = Signal(object)  # OutputChunk
    viewed = Signal(object)  # DebugState: the user moved through history (nothing re-ran)
    status_changed = Signal(str)  # "idle" | "running" | "paused" | "finished"

    def __init__(self, source_provider: Callable[[], str] | None = None,
                 parent: QObject | None = None, **session_kwargs):
        super().__init__(parent)
        self.source_provider = source_provider
        self.session = session = DebugSession(
            on_paused=self._relay("paused"), on_finished=self._relay("finished"),
            on_output=self._relay("output"), on_view=self._relay("viewed"), **session_kwargs)
        self.destroyed.connect(lambda *_: session.stop())  # window closed: end the script
        self.status = "idle"
        # Status follows the signals, i.e. what the GUI has seen, not the worker's instant state.
        self.paused.connect(lambda _s: self._set_status("paused"))
        self.finished.connect(lambda _r: self._set_status("finished"))

    def _relay(self, name: str):
        def emit(arg) -> None:
            # RuntimeError: the bridge is gone (window closed); drop the report
            with contextlib.suppress(RuntimeError):
                getattr(self, name).emit(arg)

        return emit

    def _set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            self.status_changed.emit(status)

    @property
    def history(self):
        return self.session.history

    # --- commands (GUI thread; all return at once) ---
    def _refresh_source(self) -> None:
        if self.session.status in ("idle", "finished") and self.source_provider is not None:
            self.session.source = self.source_provider()

    def _do(self, method: str, *args) -> bool:
        self._refresh_source()
        ok = getattr(self.session, method)(*args)
        if ok is not False:
            self._set_status("running")
        return ok is not False

    def continue_(self) -> bool:
        return self._do("continue_")

    def step_over(self) -> bool:
        return self._do("step_over")

    def step_into(self) -> bool:
        return self._do("step_into")

    def step_out(self) -> bool:
        return self._do("step_out")

    def run_to_cursor(self, line: int) -> bool:
        return self._do("run_to_cursor", line)

    def restart(self) -> None:
        if self.source_provider is not None:
            self.session.source = self.source_provider()
        self.session.restart()
        self._set_status("running")

    def stop(self) -> None:
        self.session.stop()

    def abandon(self) -> None:
        """Forget the run and its history (another program is in the editor); status idle."""
        self.session.abandon()
        if self.status == "idle":  # the timeline and toolbar re-read the emptied history
            self.status_changed.emit("idle")
        else:
            self._set_status("idle")

    def step_back(self):
        return self.session.step_back()

    def step_forward(self):
        return self.session.step_forward()

    def go_to(self, pos: int):
        return self.session.go_to(pos)

    def set_breakpoints(self, lines) -> None:
        self.session.set_breakpoints(lines)

    def shutdown(self) -> None:
        """Stop the run and wait briefly (window close)."""
        self.session.stop()
        self.session.wait(1.5)
