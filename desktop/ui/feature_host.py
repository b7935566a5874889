"""What the controller's features share: dialogs that stay quiet under test, bottom panels given
room, and background jobs kept alive until they report."""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox

from desktop.ui.workers import Job


def warn(window, title: str, text: str) -> None:
    """A warning box; with ``STEPGRAD_NO_DIALOGS`` set (tests, screenshots) a status message."""
    if os.environ.get("STEPGRAD_NO_DIALOGS"):
        window.statusBar().showMessage(f"{title}: {text}", 8000)
        return
    QMessageBox.warning(window, title, text)


def show_bottom(window, key: str, share: float = 0.42) -> None:
    """Raise a bottom panel and give it room for its table or plot, unless the user already
    made it at least that tall."""
    dock = window.docks[key]
    dock.show()
    dock.raise_()
    want = int(window.height() * share)
    if not dock.isFloating() and dock.height() < want:
        window.resizeDocks([dock], [want], Qt.Orientation.Vertical)


class Jobs:
    """The background jobs still running (a ``Job`` must be referenced until it reports)."""

    def __init__(self, parent: QObject):
        self.parent = parent
        self.running: set[Job] = set()

    def start(self, fn, name: str) -> Job:
        job = Job(fn, name, parent=self.parent)
        self.running.add(job)
        job.done.connect(lambda _r, job=job: self.running.discard(job))
        job.failed.connect(lambda _e, job=job: self.running.discard(job))
        return job.start()

    def join(self, timeout: float = 10.0) -> bool:
        """Wait (off the event loop: for tests and shutdown paths) until the worker threads
        have ended; True when they all have."""
        end = time.monotonic() + timeout
        for job in list(self.running):
            if job.thread is not None:
                job.thread.join(max(0.0, end - time.monotonic()))
        return not any(j.thread is not None and j.thread.is_alive() for j in self.running)
