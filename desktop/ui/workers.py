"""Run a function off the GUI thread and get its result back as a queued Qt signal.

    job = Job(fn)                 # fn() runs in a daemon thread
    job.done.connect(slot)        # slot(result) on the GUI thread
    job.failed.connect(slot)      # slot(exc)
    job.start()

A ``Job`` is a QObject living in the GUI thread; its signals, emitted from the worker thread,
are queued to the receivers. Keep a reference until it reports (the controller does).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal


class Job(QObject):
    done = Signal(object)
    failed = Signal(object)

    def __init__(self, fn: Callable[[], object], name: str = "stepgrad-job",
                 parent: QObject | None = None):
        super().__init__(parent)
        self.fn = fn
        self.name = name
        self.thread: threading.Thread | None = None
        self.finished = False

    def start(self) -> Job:
        self.thread = threading.Thread(target=self._work, name=self.name, daemon=True)
        self.thread.start()
        return self

    def _work(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # reported to the GUI, never raised in the worker
            self._emit(self.failed, exc)
        else:
            self._emit(self.done, result)

    def _emit(self, signal, value) -> None:
        self.finished = True
        with contextlib.suppress(RuntimeError):  # the receiver (window) is already gone
            signal.emit(value)
