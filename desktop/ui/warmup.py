"""Start-up warm-up: what the first Run would otherwise do for the first time, done while the
window sits idle after it appeared, so the first Run is as quick as the later ones.

Two parts, both after ``DELAY_MS`` (the window is painted and interactive by then):

- ``IMPORTS`` in a background thread. Each is pure Python that makes no QObject when imported
  (pyqtgraph imports Qt's modules but builds nothing), so importing off the GUI thread is safe.
  Otherwise the first Run imports them: the recorder and engine.nn in the script's thread,
  grandalf in the layout's, the symbolic helpers and the model builder in the Run's result
  handler, pyqtgraph for the loss plot and ziamath for the first closed form on the GUI thread.
- ``gui_steps(window)`` on the GUI thread, one per timer tick once pyqtgraph is in: the Qt
  work the first Run would do for the first time (the graph fonts' glyphs; the loss plot built,
  drawn on and painted: ~40-70 ms in all), done offscreen or hidden behind what the window shows.

Neither runs user code, opens a dialog or changes what the window shows; a step that fails is
skipped (the Run builds the same thing again where it is used, and reports a failure there).
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

# in the order the first Run needs them; the GUI steps start once pyqtgraph is in (ziamath is
# only needed once a closed form comes back from the check, after the Run)
IMPORTS = ("engine.nn.module_hooks", "desktop.recorder", "grandalf.layouts",
           "desktop.symbolic_auto", "desktop.symbolic_rerun", "desktop.builder", "pyqtgraph",
           "ziamath")
GUI_NEEDS = "pyqtgraph"
DELAY_MS = 300  # after the window is shown: its first paints come first
STEP_MS = 15  # between two GUI-thread steps: input and paint events get in between


def gui_steps(window) -> list[Callable[[], object]]:
    """The GUI-thread steps, in order; each takes a few tens of ms at most."""
    from desktop.ui.graph_items import warm_fonts

    return [warm_fonts, *window.plots.warm_up_steps()]


def import_all(names=IMPORTS, imported: threading.Event | None = None,
               gui_needs: str = GUI_NEEDS) -> None:
    """Import ``names`` in order; set ``imported`` once ``gui_needs`` is in (or at the end)."""
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 -- imported again where used, and reported there
            pass
        if name == gui_needs and imported is not None:
            imported.set()
    if imported is not None:
        imported.set()


class WarmUp(QObject):
    """One window's warm-up (a child of the window: it ends with it)."""

    def __init__(self, window, steps: list[Callable[[], object]] | None = None,
                 imports=IMPORTS):
        super().__init__(window)
        self.steps = list(gui_steps(window) if steps is None else steps)
        self.imports = tuple(imports)
        self.thread: threading.Thread | None = None
        self.gui_ready = threading.Event()  # what the GUI steps use is imported
        self.timer = QTimer(self)
        self.timer.setInterval(STEP_MS)
        self.timer.timeout.connect(self._tick)

    @property
    def done(self) -> bool:
        return not self.steps and (self.thread is None or not self.thread.is_alive())

    def start(self) -> None:
        if any(name not in sys.modules for name in self.imports):
            self.thread = threading.Thread(target=import_all,
                                           args=(self.imports, self.gui_ready),
                                           name="stepgrad-warm-up", daemon=True)
            self.thread.start()
        else:
            self.gui_ready.set()
        self.timer.start()

    def _tick(self) -> None:
        if not self.gui_ready.is_set():
            return  # a GUI step may need a module still being imported: never import it here
        if not self.steps:
            self.timer.stop()
            return
        step = self.steps.pop(0)
        if not self.steps:
            self.timer.stop()
        try:
            step()
        except Exception:  # noqa: BLE001 -- the Run builds it again where it is used
            pass


def warm_up_later(window, delay_ms: int = DELAY_MS) -> WarmUp | None:
    """Start ``window``'s warm-up ``delay_ms`` after the event loop's first tick (the window is
    shown and painted by then, however long that took). None when the app quits right after
    start-up (start-up timing)."""
    from desktop.ui.controller import QUIT_ENV

    if os.environ.get(QUIT_ENV) == "1":
        return None
    warm = WarmUp(window)
    QTimer.singleShot(0, warm, lambda: QTimer.singleShot(delay_ms, warm, warm.start))
    return warm
