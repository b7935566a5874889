"""How slow this machine is right now, next to the one the speed targets were set on.

A speed test states its target in CPU seconds measured on the 2-vCPU development machine. On a
slower or busier machine (a shared CI runner can be 2-3x slower in CPU seconds: steal time,
smaller caches) that number means nothing, so each speed test measures a reference process of
the same kind next to its subject and scales its budget by ``pace`` = reference CPU here /
reference CPU on the development machine, never below 1 (a faster machine keeps the target).

The references are fixed programs that do not use stepgrad: a regression in stepgrad cannot
hide in them.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap

# a fresh interpreter that imports numpy and Qt's widgets, shows a window and runs one tick
QT_WINDOW = textwrap.dedent("""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow, QPlainTextEdit
    import numpy
    app = QApplication([])
    w = QMainWindow(); w.setCentralWidget(QPlainTextEdit("x = 1")); w.resize(800, 600); w.show()
    QTimer.singleShot(0, app.quit); app.exec()
""")
# a fresh interpreter that imports numpy and sympy and differentiates a small expression
SYMPY_DIFF = textwrap.dedent("""
    import numpy, sympy
    x, y = sympy.symbols("x y")
    e = sympy.tanh(x * y + 1) ** 2 * sympy.exp(-x)
    for v in (x, y):
        sympy.lambdify((x, y), sympy.diff(e, v), "numpy")(0.5, 0.25)
""")
# best-of-five CPU seconds of each reference on the development machine (load ~1)
DEV_SECONDS = {QT_WINDOW: 0.33, SYMPY_DIFF: 0.70}


def child_cpu(argv: list[str], **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    """CPU seconds (user + system) a child process took, and the finished process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, **kwargs)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime), proc


def pace(reference: str, repeats: int = 3) -> float:
    """How many times slower than the development machine this one runs ``reference`` now
    (best of ``repeats``), at least 1."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    best = float("inf")
    for _ in range(repeats):
        cpu, proc = child_cpu([sys.executable, "-c", reference], env=env)
        assert proc.returncode == 0, proc.stderr
        best = min(best, cpu)
    return max(1.0, best / DEV_SECONDS[reference])
