"""GUI entry point: ``main(["script.py"])`` opens the window (optionally with a file).

Qt, and everything that imports it, is imported inside the functions so that ``import desktop.app``
stays cheap for the CLI's headless commands; sympy, symbolic/ and pyqtgraph are not imported at
start-up at all (the panels load them on first use), which keeps the window interactive in well
under 1.5 s.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence


def create_window(path: str | None = None, settings=None, layout_fn=None):
    """Build the MainWindow (a QApplication must exist), opening ``path`` if given."""
    from desktop.session import SUFFIX
    from desktop.ui.main_window import MainWindow

    window = MainWindow(settings=settings, layout_fn=layout_fn)
    if path and path.endswith(SUFFIX):
        window.pending_session = path  # the controller opens it: it knows sessions
    elif path:
        window.open_file(path, ask=False)
    return window


def wire(window) -> None:
    """Connect a window to everything that does the work: the controller (runner off the GUI
    thread, layout, watches, symbolic check, plots, lessons, sessions) and then the debugger,
    which takes F5 over from plain Run while breakpoints are set."""
    from desktop.ui.controller import install
    from desktop.ui.debug_wiring import attach_debugger
    from desktop.ui.gil_latency import keep_gui_responsive
    from desktop.ui.linked_selection import link_selection
    from desktop.ui.predict_wiring import attach_predict

    keep_gui_responsive()  # scripts, layouts and imports run beside the GUI thread from now on
    install(window)
    window.debugger = attach_debugger(window)
    attach_predict(window)
    link_selection(window)  # graph node <-> editor line <-> inspector row <-> backward step
    window.docks["inspector"].raise_()  # the first tab of its group: the variables
    window.controller.window_factory = _new_window
    _prewarm_later(window)


def _prewarm_later(window) -> None:
    """Once the window is up, do what the first Run would otherwise do for the first time
    (imports in a thread, the loss plot built hidden): see ``desktop.ui.warmup``."""
    from desktop.ui.warmup import warm_up_later

    window.warm_up = warm_up_later(window)


_windows: list = []  # windows opened for recovered autosaves (Qt does not own top-levels)


def _new_window():
    window = create_window()
    wire(window)
    window.show()
    _windows.append(window)
    return window


def main(argv: Sequence[str] | None = None,
         setup: Callable[[object], None] | None = None) -> int:
    """Run the app. ``argv`` excludes the program name; its optional first item is a file.

    ``setup(window)`` runs before the window is shown; it defaults to ``wire``. Tests pass their
    own to get a bare window.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    path = next((a for a in args if not a.startswith("-")), None)

    from PySide6.QtWidgets import QApplication

    import desktop.ui  # noqa: F401  (applies the PySide6 6.12 refcount workaround first)

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "stepgrad"])
    app.setOrganizationName("stepgrad")
    app.setApplicationName("stepgrad")
    app.setApplicationDisplayName("stepgrad")
    window = create_window(path)
    (setup or wire)(window)
    window.show()
    status = app.exec()
    from desktop.process_exit import exit_cleanly_or_now

    # A script Stop gave up on (stuck in a BLAS call) would deadlock the interpreter's exit.
    return exit_cleanly_or_now(status)


if __name__ == "__main__":
    sys.exit(main())
