"""Debugger cost: time per stop (forward line and backward node) with a ~200-node graph, and
Continue with no breakpoint against a plain run. GUI rendering is not included (measured by the
integrator). Run by hand: ``python bench/bench_debugger.py [--quick]``.

A "step" is measured from the command (``step_over()``) to the worker having recorded the
state and reported it (``wait_stop()`` returns): tracing, the graph snapshot, tensor copies,
history, the thread hand-over.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop.capture import OutputSink
from desktop.debugger import DebugSession
from desktop.runner import make_namespace, run_script

# 50 iterations x 4 ops = 200 op nodes, plus the loss (about 205 nodes with the leaves).
GRAPH_200 = """\
import torch
torch.manual_seed(0)
w = torch.randn(8, 8, requires_grad=True)
h = torch.randn(4, 8)
for i in range(50):
    h = torch.tanh(h @ w) + h * 0.5
loss = h.pow(2).mean()
a = 1
b = 2
c = 3
d = 4
loss.backward()
e = 5
"""

TRAIN = """\
import torch
torch.manual_seed(0)
X = torch.randn(64, 3)
Y = X @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
w = torch.zeros(3, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
opt = torch.optim.SGD([w, b], lr=0.05)
def step():
    opt.zero_grad()
    loss = ((X @ w + b - Y) ** 2).mean()
    loss.backward()
    opt.step()
    return loss
for epoch in range({n}):
    loss = step()
print(round(loss.item(), 4))
"""


def timed_steps(session: DebugSession, command: str, count: int, kind: str | None = None):
    times, states = [], []
    for _ in range(count):
        t0 = time.perf_counter()
        getattr(session, command)()
        state = session.wait_stop(60)
        times.append(time.perf_counter() - t0)
        if state is None or (kind is not None and state.kind != kind):
            times.pop()
            break
        states.append(state)
    return times, states


def summary(times) -> str:
    ms = sorted(t * 1e3 for t in times)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return (f"n={len(ms)}  median {statistics.median(ms):.1f} ms  p95 {p95:.1f} ms  "
            f"max {ms[-1]:.1f} ms")


def bench_steps() -> None:
    s = DebugSession(GRAPH_200)
    s.run_to_cursor(8)  # `a = 1`: the whole forward graph exists
    state = s.wait_stop(60)
    n_nodes = len(state.graph.nodes)
    print(f"graph at line {state.line}: {n_nodes} nodes, {len(state.graph.edges)} edges")
    fwd, _ = timed_steps(s, "step_over", 4, kind="line")
    print(f"forward line step (200-node graph): {summary(fwd)}")
    assert s.wait_stop().line == 12
    t0 = time.perf_counter()
    s.step_into()
    s.wait_stop(60)
    first = time.perf_counter() - t0
    back, states = timed_steps(s, "step_over", 400, kind="backward")
    print(f"backward node step: {summary([first, *back])}  "
          f"({len(states) + 1} nodes stepped)")
    s.stop()
    s.wait(5)

    # the same in the loop, while the graph grows (stepping over the loop body)
    s = DebugSession(GRAPH_200)
    s.run_to_cursor(6)
    s.wait_stop(60)
    loop, _ = timed_steps(s, "step_over", 100, kind="line")
    print(f"forward line step while the graph grows to 200 nodes: {summary(loop)}")
    s.stop()
    s.wait(5)


def best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_continue(n: int, repeat: int) -> None:
    source = TRAIN.format(n=n)

    def plain():
        code = compile(source, "<plain>", "exec")
        exec(code, make_namespace(OutputSink()))

    def traced():  # a trace function that ignores every frame: what tracing alone costs
        code = compile(source, "<plain>", "exec")
        ns = make_namespace(OutputSink())
        sys.settrace(lambda frame, event, arg: None)
        try:
            exec(code, ns)
        finally:
            sys.settrace(None)

    def runner():
        r = run_script(source)
        assert r.status == "finished", r.error

    def debugger():
        s = DebugSession(source)
        s.continue_()
        r = s.wait(600)
        assert r.status == "finished", r.error

    def debugger_bp():  # a breakpoint that is never hit: every script line is checked
        s = DebugSession(source)
        s.set_breakpoint(16)  # `print(...)`, only reached at the end
        s.continue_()
        assert s.wait_stop(600).line == 16
        s.continue_()
        assert s.wait(600).status == "finished"

    t_plain = best_of(plain, repeat)
    t_runner = best_of(runner, repeat)
    t_debug = best_of(debugger, repeat)
    t_bp = best_of(debugger_bp, repeat)
    t_traced = best_of(traced, repeat)
    print(f"Continue, {n} training steps (no breakpoint hit):")
    print(f"  plain exec (no recorder)        {t_plain * 1e3:8.1f} ms")
    print(f"  stepgrad run (recorder)         {t_runner * 1e3:8.1f} ms")
    print(f"  debugger Continue               {t_debug * 1e3:8.1f} ms   "
          f"x{t_debug / t_plain:.2f} plain, x{t_debug / t_runner:.2f} run   (target <= 3x)")
    print(f"  debugger Continue, 1 breakpoint {t_bp * 1e3:8.1f} ms   "
          f"x{t_bp / t_plain:.2f} plain, x{t_bp / t_runner:.2f} run")
    # a breakpoint needs sys.settrace, and on CPython 3.11 a trace function slows every frame
    # of every module (the engine's too) even when it returns None at once
    print(f"  plain exec under a no-op trace  {t_traced * 1e3:8.1f} ms   "
          f"x{t_traced / t_plain:.2f} plain (the floor for any traced run on this Python)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    bench_steps()
    bench_continue(n=100 if args.quick else 1000, repeat=2 if args.quick else 3)


if __name__ == "__main__":
    main()
