"""Quitting the app after Stop gave up on a script stuck in a BLAS call ends the process (the
interpreter's normal exit would wait in OpenBLAS's exit handler for that worker forever)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from desktop import app

    SCRIPT = ("import numpy as np\\na = np.ones((4000, 4000))\\nprint('started', flush=True)\\n"
              "for _ in range(100):\\n    b = a @ a\\n")

    def setup(window):
        app.wire(window)
        c = window.controller

        def started():
            if c.run is not None and "started" in c.run.sink.text():
                QTimer.singleShot(300, c.stop_run)
                QTimer.singleShot(4000, quit_)
            else:
                QTimer.singleShot(50, started)

        def quit_():
            print("abandoned" if c.run is None and c.state.result is not None
                  and c.state.result.extras.get("abandoned") else "not abandoned", flush=True)
            window.close()

        QTimer.singleShot(0, lambda: (c.start_run(SCRIPT), started()))

    sys.exit(app.main([], setup=setup))
""")


def test_quit_after_stopping_a_script_stuck_in_blas_ends_the_process(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"),
               STEPGRAD_NO_DIALOGS="1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] in ("abandoned", "not abandoned")
