"""Runner, recorder and layout costs: a training-style script run plain vs recorded, the graph
snapshot, and the layout (grandalf vs the linear fallback) at several sizes. Run by hand:
``python bench/bench_run.py``. The numbers behind the thresholds in desktop/layout.py.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop.layout import layout, layout_cost
from desktop.runner import ScriptRun, run_script

LOOP = """\
import torch
x = torch.ones(4, requires_grad=True)
for i in range(300):
    y = x
    for k in range(50):
        y = torch.tanh(y * 1.01 + 0.1)
    y.sum().backward()
"""

# An MLP-like chain: k blocks of ~6 nodes each.
CHAIN = """\
import torch
torch.manual_seed(0)
h = torch.randn(4, 3)
ws = [torch.randn(3, 3, requires_grad=True) for _ in range({k})]
for w in ws:
    h = torch.tanh(h @ w + 0.1) * 0.5 + h
loss = (h ** 2).mean()
"""


def best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    for record in (False, True):
        t, med = best(lambda record=record: run_script(LOOP, record=record))
        print(f"run 300x50-op loop, record={record!s:5}: best {t:.3f} s, median {med:.3f} s")
    for k in (20, 50, 100, 150, 300):
        run = ScriptRun(CHAIN.format(k=k)).start()
        run.wait()
        snap_t, _ = best(run.graph_snapshot)
        graph = run.graph_snapshot()
        ids = [n.id for n in graph.nodes]
        cost = layout_cost(ids, [(e.src, e.dst) for e in graph.edges])
        auto, _ = best(lambda graph=graph: layout(graph))
        simple, _ = best(lambda graph=graph: layout(graph, use_grandalf=False))
        print(f"{len(ids):5} nodes (cost {cost:5}): snapshot {snap_t * 1e3:6.1f} ms, "
              f"layout auto {auto * 1e3:7.1f} ms, linear {simple * 1e3:6.1f} ms")


if __name__ == "__main__":
    main()
