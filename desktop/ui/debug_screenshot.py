"""Render the main window paused at a backward step of the seed's y = wx + b script, with the
Backward step panel showing, to a PNG (for the README and reviews):

    xvfb-run -a -s "-screen 0 1400x900x24" python -m desktop.ui.debug_screenshot out.png [NODE]

``NODE`` is the backward node to stop at (default ``AddBackward0``). Settings go to a
throw-away directory, so the user's remembered layout is neither used nor changed.
"""

from __future__ import annotations

import sys
import tempfile
import time

from desktop.ui.screenshot import SEED


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(__doc__)
        return 2
    out, node = args[0], (args[1] if len(args) > 1 else "AddBackward0")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    import desktop.ui  # noqa: F401  (the PySide6 refcount workaround, as the app applies it)
    from desktop.app import wire
    from desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    tmp = tempfile.mkdtemp()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
    window = MainWindow(settings=QSettings(f"{tmp}/shot.ini", QSettings.Format.IniFormat))
    wire(window)  # as the app does: the controller, then the debugger
    wiring = window.debugger
    window.editor.setPlainText(SEED)
    window.editor.document().setModified(False)
    window.inspector.add_watch("b.grad")
    window.resize(1400, 900)
    window.show()
    line = next(i for i, t in enumerate(SEED.splitlines(), 1) if ".backward(" in t)
    window.editor.set_breakpoints([line])

    def settle(pred, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while not pred() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def stopped():
        return wiring.state is not None and wiring.bridge.status == "paused" \
            and wiring.bridge.session.wait_stop(0.001) is wiring.state

    wiring.run_or_continue()
    settle(stopped)
    wiring.bridge.step_into()
    settle(lambda: stopped() and wiring.state.kind == "backward")
    while wiring.state.kind == "backward" and wiring.state.backward.op != node:
        before = wiring.state
        wiring.bridge.step_over()
        settle(lambda b=before: stopped() and wiring.state is not b)
    settle(lambda: wiring.panel.derivative() is not None)
    # the view follows the running node at a readable scale (Fit would show names only)
    settle(lambda: False, 0.3)
    ok = window.grab().save(out)
    print(f"{out}: paused at {wiring.state.label}, line {wiring.state.line}")
    wiring.bridge.shutdown()
    window.editor.document().setModified(False)
    window.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
