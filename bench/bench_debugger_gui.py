"""GUI-side cost of one debugger stop in the real main window: ``DebugWiring.show_state`` (current
line, graph view with highlight, inspector, watches, Backward step panel) plus the layout (in a
worker past 150 nodes) and a synchronous repaint of the graph viewport, for a ~200-node graph.
The debugger's own cost per stop is in bench_debugger.py. Run by hand, headless:

    QT_QPA_PLATFORM=offscreen python bench/bench_debugger_gui.py

Target: <= 50 ms per step for a 200-node graph.
"""

from __future__ import annotations

import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

GRAPH_200 = """\
import torch
torch.manual_seed(0)
w = torch.randn(8, 8, requires_grad=True)
h = torch.randn(4, 8)
for i in range(50):
    h = torch.tanh(h @ w) + h * 0.5
loss = h.pow(2).mean()
a = 1
loss.backward()
e = 5
"""
BACKWARD_LINE = 9


def record_states():
    """Every stop of a run stepping into the backward pass, recorded without a GUI."""
    from desktop.debugger import DebugSession

    s = DebugSession(GRAPH_200)
    s.set_breakpoint(BACKWARD_LINE)
    s.continue_()
    states = [s.wait_stop(60)]  # the backward() line, then one stop per node
    s.step_into()
    states.append(s.wait_stop(60))
    while states[-1] is not None and states[-1].kind == "backward":
        s.step_over()
        states.append(s.wait_stop(60))
    s.stop()
    s.wait(5)
    return [st for st in states if st is not None]


def record_forward_states(last: int = 40):
    """The last ``last`` line stops of stepping over the script to the backward() line: loop
    iterations each add 4 nodes to a graph of ~150-200 nodes."""
    from desktop.debugger import DebugSession

    s = DebugSession(GRAPH_200)
    s.step_over()
    states = [s.wait_stop(60)]
    while states[-1] is not None and states[-1].line != BACKWARD_LINE:
        s.step_over()
        states.append(s.wait_stop(60))
    s.stop()
    s.wait(5)
    return [st for st in states if st is not None][-last:]


def main() -> int:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from desktop.ui.debug_wiring import attach_debugger
    from desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    tmp = tempfile.mkdtemp()
    from desktop.layout import layout  # grandalf, as the app's controller installs it

    window = MainWindow(settings=QSettings(f"{tmp}/bench.ini", QSettings.Format.IniFormat),
                        layout_fn=layout)
    wiring = attach_debugger(window)
    window.editor.setPlainText(GRAPH_200)
    window.inspector.add_watch("loss")
    window.show()
    app.processEvents()
    states = record_states()
    steps = [s for s in states if s.kind == "backward"]
    print(f"{len(steps)} backward steps, graph of {len(steps[0].graph.nodes)} nodes")

    gv = window.graph_view
    done = []
    gv.layout_done.connect(lambda: done.append(1))

    def render(state, full_repaint=True) -> tuple[float, float]:
        done.clear()
        t0 = time.perf_counter()
        wiring.show_state(state)
        # a full rebuild lays out in a worker past 150 nodes; an in-place patch needs none
        while not done and gv.node_items.keys() != {n.id for n in state.graph.nodes}:
            app.processEvents()
        app.processEvents()  # the repaint of what changed
        t1 = time.perf_counter()
        if full_repaint:
            gv.view.viewport().repaint()
        return (t1 - t0) * 1000, (time.perf_counter() - t0) * 1000

    cold = render(states[0])[1]
    print(f"first view of the graph at the backward() line (full rebuild and layout): "
          f"{cold:.1f} ms")
    first = render(steps[0])[1]  # the step the user takes from that line into backward
    print(f"step into backward, to its first node: {first:.1f} ms (target <= 50 ms)")
    # a user reads that first node before the next step: its closed form (and sympy's one-off
    # import, ~1 s in a worker thread) is done by then
    t0 = time.perf_counter()
    while wiring.panel.derivative() is None and time.perf_counter() - t0 < 30:
        app.processEvents()
        time.sleep(0.005)
    pairs = [render(s) for s in steps[1:]]
    for name, times in (("with Qt's own (partial) repaint", [a for a, _ in pairs]),
                        ("plus a forced full repaint of the graph", [b for _, b in pairs])):
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        print(f"per backward step, {name}: median {statistics.median(times):.1f} ms, "
              f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms over {len(times)} steps "
              "(target <= 50 ms)")
    forward = record_forward_states()
    render(forward[0])
    grown, same = [], []
    for prev, s in itertools.pairwise(forward):
        t = render(s)[0]
        (grown if len(s.graph.nodes) != len(prev.graph.nodes) else same).append(t)
    for name, times in (("adding nodes (new layout)", grown), ("adding none", same)):
        if times:
            print(f"forward line step {name}: median {statistics.median(times):.1f} ms, "
                  f"max {max(times):.1f} ms over {len(times)} steps, graph "
                  f"{len(forward[0].graph.nodes)}-{len(forward[-1].graph.nodes)} nodes")
    back = sorted(render(s)[0] for s in reversed(steps[-21:]))
    print(f"step back through 20 stops: median {statistics.median(back):.1f} ms")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
