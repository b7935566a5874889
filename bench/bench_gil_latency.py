"""How late the GUI thread's timers fire while a script runs Python on another thread, at
CPython's default switch interval (5 ms) and at the app's (``desktop.ui.gil_latency``):

    QT_QPA_PLATFORM=offscreen python bench/bench_gil_latency.py

The GUI thread sits in Qt's event loop, as the app's does, with a 5 ms timer whose handler runs
a little Python; a worker thread runs the 500-iteration training loop of
``bench_debugger_gui.py`` eight times. Printed: the gaps between ticks (5 ms when on time) and
the worker's time, for each interval, interleaved three times.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench_debugger_gui import TRAIN


def measure(app, interval: float) -> tuple[list[float], float]:
    from PySide6.QtCore import QTimer

    from engine.script_namespace import new_namespace

    sys.setswitchinterval(interval)
    gaps: list[float] = []
    last = [time.perf_counter()]
    done: list[float] = []

    def tick():
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now
        sum(range(300))  # a handler's bit of Python

    def work():
        t0 = time.perf_counter()
        code = compile(TRAIN, "<bench>", "exec")
        for _ in range(8):
            with contextlib.redirect_stdout(io.StringIO()):
                exec(code, new_namespace())
        done.append(time.perf_counter() - t0)

    beat, check = QTimer(), QTimer()
    beat.setInterval(5)
    beat.timeout.connect(tick)
    check.setInterval(20)
    check.timeout.connect(lambda: app.quit() if done else None)
    worker = threading.Thread(target=work)
    beat.start()
    check.start()
    worker.start()
    app.exec()
    worker.join()
    beat.stop()
    check.stop()
    return sorted(gaps), done[0] * 1000


def main() -> int:
    from PySide6.QtCore import QCoreApplication

    from desktop.ui.gil_latency import GUI_SWITCH_INTERVAL

    app = QCoreApplication.instance() or QCoreApplication([])
    before = sys.getswitchinterval()
    for _ in range(3):
        for interval in (0.005, GUI_SWITCH_INTERVAL):
            gaps, worker = measure(app, interval)
            p50, p95 = gaps[len(gaps) // 2], gaps[min(len(gaps) - 1, int(0.95 * len(gaps)))]
            print(f"switch interval {interval * 1000:g} ms: timer gap p50 {p50:.1f} ms, "
                  f"p95 {p95:.1f} ms, max {gaps[-1]:.1f} ms; worker {worker:.0f} ms")
    sys.setswitchinterval(before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
