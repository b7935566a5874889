"""The real app (``desktop.app.main`` with its controller) starts in a fresh process, quits after
the first event-loop tick (STEPGRAD_QUIT_AFTER_START=1), and is interactive within 1.5 s.

The targets are CPU seconds of the app's process: what start-up costs, whatever else the
machine is busy with (wall time on a loaded machine measures the other processes), on the
development machine; a slower one scales them by how much slower it starts a bare Qt window
(``machine_pace``)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

from machine_pace import QT_WINDOW, pace

ROOT = Path(__file__).resolve().parents[3]
TARGET_SECONDS = 1.5

PROBE = textwrap.dedent("""
    import json, sys, time
    t0, c0 = time.perf_counter(), time.process_time()
    from desktop.app import main, wire
    seen = {}

    def setup(window):  # what main() does by default, plus a look at the result
        wire(window)
        seen["controller"] = type(getattr(window, "controller", None)).__name__
        seen["menus"] = [a.text() for a in window.menuBar().actions()]
        seen["debugger"] = type(getattr(window, "debugger", None)).__name__

    HEAVY = ("pyqtgraph", "sympy", "symbolic.checker", "ziamath")
    rc = main(sys.argv[1:], setup=setup)
    print(json.dumps({"rc": rc, "seconds": time.perf_counter() - t0,
                      "cpu": time.process_time() - c0, **seen,
                      "heavy": sorted(m for m in HEAVY if m in sys.modules)}))
""")


def _start(tmp_path) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"),
               STEPGRAD_QUIT_AFTER_START="1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_app_starts_with_its_controller_within_the_target(tmp_path):
    # best of three: the first start pays for a cold disk cache, and CI machines are shared
    reports = [_start(tmp_path) for _ in range(3)]
    best, slower = min(r["cpu"] for r in reports), pace(QT_WINDOW)
    print(f"\nstepgrad start-up (imports, window, controller, debugger, first tick): "
          f"best {best:.3f} CPU s, wall {[round(r['seconds'], 3) for r in reports]}, "
          f"machine pace {slower:.2f}")
    r = reports[0]
    assert r["rc"] == 0
    assert r["controller"] == "Controller"  # main() wires every window
    assert r["debugger"] == "DebugWiring"
    assert {"&File", "&Run", "&Debug", "&Lessons", "&Tools"} <= set(r["menus"])
    # sympy (and the check built on it), pyqtgraph, ziamath load on first use; the symbolic
    # package itself is light (its time limits serve the watches)
    assert r["heavy"] == []
    assert best < TARGET_SECONDS * slower


def test_the_stepgrad_command_with_a_file_is_up_within_the_target(tmp_path):
    """What a user waits for: the whole `stepgrad FILE.py` process, interpreter start included,
    until the event loop runs its first tick (and the process exits again)."""
    import time

    script = tmp_path / "seed.py"
    script.write_text("import torch\nw = torch.ones(2, requires_grad=True)\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"),
               STEPGRAD_QUIT_AFTER_START="1", STEPGRAD_NO_DIALOGS="1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    times, cpus = [], []
    for _ in range(3):
        t0, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run([sys.executable, "-m", "desktop.cli", str(script)], env=env,
                              cwd=tmp_path, capture_output=True, text=True, timeout=60)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(time.perf_counter() - t0)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        assert proc.returncode == 0, proc.stderr
    slower = pace(QT_WINDOW)
    print(f"\n`stepgrad FILE.py` to first event-loop tick and exit: best {min(cpus):.3f} CPU s, "
          f"wall {[round(t, 3) for t in times]}, machine pace {slower:.2f}")
    assert min(cpus) < TARGET_SECONDS * slower
