"""Screenshots of the wired app for the README and reviews, driven like a user would:

    xvfb-run -a -s "-screen 0 1400x900x24" python -m desktop.ui.app_screenshots OUTDIR [--dark]

Writes OUTDIR/main.png (the seed model after Run: graph, inspector, loss), symbolic.png (the
three-way check with a rendered closed form), lesson.png (a lesson open from the start page),
function.png (f, f', f''). Settings and autosaves go to a throw-away folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

from desktop.ui.screenshot import SEED, parse_args


def _wait(app, cond, seconds: float = 60.0) -> bool:
    end = time.monotonic() + seconds
    while not cond() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    for _ in range(10):
        app.processEvents()
    return cond()


def main(argv: list[str] | None = None) -> int:
    args, dark = parse_args(argv)
    if not args:
        print(__doc__)
        return 2
    out = args[0]
    os.makedirs(out, exist_ok=True)
    os.environ.setdefault("STEPGRAD_NO_DIALOGS", "1")
    tmp = tempfile.mkdtemp()
    os.environ["XDG_CONFIG_HOME"] = tmp  # autosaves and recovery look here, not in ~/.config
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from desktop.app import wire
    from desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    settings = QSettings(os.path.join(tmp, "stepgrad.ini"), QSettings.Format.IniFormat)
    settings.setValue("theme", "dark" if dark else "light")
    window = MainWindow(settings=settings)
    wire(window)  # as the app does: the controller, then the debugger
    controller = window.controller
    window.resize(1400, 900)
    window.show()
    _wait(app, lambda: window.isVisible(), 5)

    def shot(name: str, widget=None) -> None:
        _wait(app, lambda: True, 0)
        path = os.path.join(out, name)
        (widget or window).grab().save(path, "PNG")
        print("wrote", path)

    done: list = []
    controller.run_finished.connect(done.append)
    window.editor.setPlainText(SEED)
    window.editor.document().setModified(False)
    for expr in ("loss", "w.grad.norm()"):
        window.inspector.add_watch(expr)
    window.act_run.trigger()
    _wait(app, lambda: bool(done))
    window.inspector.select("w")
    window.inspector.tabs.setCurrentIndex(1)  # w's grad
    window.docks["plots"].raise_()
    shot("main.png")

    checked: list = []
    controller.symbolic_finished.connect(checked.append)
    controller.compute_symbolic()
    _wait(app, lambda: bool(checked))
    window.symbolic.select_target("w")
    window.symbolic.table.selectRow(1)
    shot("symbolic.png")

    plotted: list = []
    controller.function_plotted.connect(plotted.append)
    controller.plot_function("torch.sin(x) * x**2, -3, 3")
    _wait(app, lambda: bool(plotted))
    shot("function.png")

    controller.open_lesson(
        __import__("desktop.lessons", fromlist=["get"]).get("custom-function").code,
        "custom-function")
    controller.lessons_panel.select("custom-function")
    window.docks["lessons"].raise_()
    shot("lesson.png")

    window.editor.document().setModified(False)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
