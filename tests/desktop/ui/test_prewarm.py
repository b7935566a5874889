"""The first Run is not slower than later ones: what it would import (engine.nn for the
recorder's module hooks, the recorder, grandalf, pyqtgraph for the loss plot, ziamath for the
first closed form...) is imported in the background once the window is up, not in the Run
(pyqtgraph not at start-up either: it stays out of the window's start-up time)."""

import os
import subprocess
import sys
import textwrap


def test_the_window_imports_the_first_runs_modules_in_the_background_after_start_up(tmp_path):
    code = textwrap.dedent("""
        import sys, time
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication
        import desktop.ui
        from desktop.app import create_window, wire
        from desktop.ui.warmup import IMPORTS as PREWARM

        app = QApplication([])
        window = create_window(settings=QSettings(sys.argv[1], QSettings.Format.IniFormat))
        wire(window)
        window.show()
        app.processEvents()
        print("at start-up:", [m for m in PREWARM if m in sys.modules])
        end = time.monotonic() + 20
        while time.monotonic() < end and not all(m in sys.modules for m in PREWARM):
            app.processEvents()
            time.sleep(0.02)
        print("later:", [m for m in PREWARM if m in sys.modules])
        window.close()
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path),
           "STEPGRAD_NO_DIALOGS": "1"}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "s.ini")], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "'pyqtgraph'" not in out.stdout.split("later:")[0]
    assert "'ziamath'" not in out.stdout.split("later:")[0]
    from desktop.ui.warmup import IMPORTS

    assert f"later: {list(IMPORTS)}" in out.stdout
    assert {"engine.nn.module_hooks", "pyqtgraph", "ziamath", "desktop.recorder",
            "grandalf.layouts"} <= set(IMPORTS)
