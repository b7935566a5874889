"""Python's cyclic garbage collector, run on the GUI thread only.

Left automatic, a collection starts in whichever thread happens to allocate: often the script's
worker. If that collection frees a cycle holding Qt widgets (a discarded menu or dialog whose
slots close over it), their C++ destructors run off the GUI thread while the GUI thread paints,
and the two deadlock on Qt's and Python's locks (seen in the suite: a worker stuck in
~QMenu waiting for the GIL, the GUI thread in ~QObject waiting for a Qt mutex). So automatic
collection is switched off and a GUI-thread timer collects by the same thresholds instead, as
pyqtgraph's GarbageCollector does (not imported here: pyqtgraph is kept out of start-up).

A full collection also keeps CPython's own condition: it runs only once the oldest generation
has grown by a quarter since the last one. Without it a full collection came every ten
generation-1 collections and rescanned the whole application (Qt wrappers, sympy, numpy: 50-200
ms on the GUI thread), which landed on the first steps of a backward pass through a big graph.
Counting the oldest generation costs a few milliseconds and happens only where a full collection
would otherwise run.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

from engine import gc_policy

_installed: list[GuiThreadCollector] = []


class GuiThreadCollector(QObject):
    def __init__(self, interval_ms: int = 500):
        super().__init__()
        self.threshold = gc.get_threshold()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        gc.disable()
        self.long_lived = len(gc.get_objects(2))  # the oldest generation after a full collection
        self.timer.start(interval_ms)

    def check(self) -> None:
        n0, n1, n2 = gc.get_count()
        if n0 > self.threshold[0]:
            gc.collect(0)
            if n1 > self.threshold[1]:
                gc.collect(1)
                if n2 > self.threshold[2] and self.grown_by_a_quarter():
                    gc_policy.collect(2)  # the big-graph policy applies as to an automatic one
                    self.long_lived = len(gc.get_objects(2))

    def grown_by_a_quarter(self) -> bool:
        """CPython's test before an automatic full collection: the objects that reached the
        oldest generation since the last full one are at least a quarter of those it kept."""
        return len(gc.get_objects(2)) - self.long_lived >= self.long_lived // 4


def collect_on_gui_thread() -> GuiThreadCollector:
    """Install once per process (idempotent); call on the GUI thread with a QApplication."""
    if not _installed:
        _installed.append(GuiThreadCollector())
    return _installed[0]
