"""The app starts in a fresh process, opens a file, and does not load the heavy modules."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = textwrap.dedent("""
    import json, sys, time
    t0 = time.perf_counter()
    from PySide6.QtCore import QTimer
    from desktop import app

    def setup(window):
        def report():
            print(json.dumps({
                "seconds": time.perf_counter() - t0,
                "title": window.windowTitle(),
                "source": window.source(),
                "visible": window.isVisible(),
                "heavy": sorted(m for m in ("pyqtgraph", "sympy", "symbolic.checker", "ziamath")
                                if m in sys.modules),
            }))
            window.close()
        QTimer.singleShot(0, window, report)

    sys.exit(app.main(sys.argv[1:], setup=setup))
""")


def test_app_starts_opens_a_file_and_stays_light(tmp_path):
    script = tmp_path / "hello.py"
    script.write_text("import torch\nprint(torch.ones(2))\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", PROBE, str(script)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["visible"]
    assert report["title"].startswith("hello.py")
    assert report["source"] == script.read_text()
    assert report["heavy"] == []  # loaded on first use only, to keep start-up fast
    assert report["seconds"] < 10  # generous for CI; typically ~0.5 s (see the report)


WIRED = textwrap.dedent("""
    import json, sys
    from PySide6.QtCore import SIGNAL, QTimer
    from desktop import app

    def setup(window):
        app.wire(window)  # what main() does by default
        def report():
            print(json.dumps({
                "controller": hasattr(window, "controller"),
                "debugger": hasattr(window, "debugger"),
                "runner_connected": window.receivers(SIGNAL("run_requested(QString)")) > 0,
                "heavy": sorted(m for m in ("pyqtgraph", "sympy", "symbolic.checker")
                                if m in sys.modules),
            }))
            window.close()
        QTimer.singleShot(0, window, report)

    sys.exit(app.main([], setup=setup))
""")


def test_default_setup_wires_controller_and_debugger(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"),
               STEPGRAD_NO_DIALOGS="1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", WIRED], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {"controller": True, "debugger": True, "runner_connected": True,
                      "heavy": []}


LAYOUT = textwrap.dedent("""
    import json, sys
    from PySide6.QtCore import QTimer
    from desktop import app

    def setup(window):
        app.wire(window)
        def act():
            if sys.argv[1] == "first":
                window.docks["graph"].hide()
                window.removeDockWidget(window.docks["lessons"])
                window.addDockWidget(app_area(), window.docks["lessons"])
                window.docks["lessons"].show()
                step = window.docks["backward_step"]
                window.removeDockWidget(step)
                window.addDockWidget(app_area(), step)
                step.show()
                window.set_theme("dark")
            else:
                print(json.dumps({
                    "graph_hidden": window.docks["graph"].isHidden(),
                    "lessons_area": window.dockWidgetArea(window.docks["lessons"]).name,
                    "step_area": window.dockWidgetArea(window.docks["backward_step"]).name,
                    "theme": window.theme.name,
                }))
            window.close()
        QTimer.singleShot(0, window, act)

    def app_area():
        from PySide6.QtCore import Qt
        return Qt.DockWidgetArea.LeftDockWidgetArea

    sys.exit(app.main([], setup=setup))
""")


def test_dock_layout_and_theme_are_remembered_between_launches(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"),
               STEPGRAD_NO_DIALOGS="1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for which in ("first", "second"):
        proc = subprocess.run([sys.executable, "-c", LAYOUT, which], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "cfg" / "stepgrad" / "stepgrad.conf").exists()
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {"graph_hidden": True, "lessons_area": "LeftDockWidgetArea",
                      "step_area": "LeftDockWidgetArea", "theme": "dark"}


def test_qt_is_imported_only_when_the_window_is_asked_for(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("import torch\nprint(torch.ones(2).sum())\n")
    probe = textwrap.dedent("""
        import json, sys
        import desktop.app  # the GUI entry point itself imports no Qt
        from desktop.cli import main
        rc = main(["run", sys.argv[1]])
        print(json.dumps({"rc": rc, "qt": sorted(m for m in sys.modules
                                                 if m.startswith(("PySide6", "shiboken6")))}))
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", probe, str(script)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "tensor(2.)" in proc.stdout
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"rc": 0, "qt": []}
