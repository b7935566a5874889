"""Engine overhead benchmark: each workload timed in one run against hand-written numpy doing the
same math (forward plus hand-derived backward, the limit no autograd can beat) and, when it is
importable, real PyTorch. Run by hand: ``python bench/bench_engine.py [--quick]``.

Reports the best of several repeats (robust to a busy machine) and the ratio engine / numpy.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _threads import describe, pin_from_argv, pin_torch

THREADS = pin_from_argv()  # before numpy: BLAS reads its thread count when it loads

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine  # noqa: E402
from engine import observe  # noqa: E402

try:
    import torch
except ImportError:  # the oracle is optional
    torch = None
pin_torch(torch, THREADS)

TARGETS = {"W1": 4.5, "W2": 4.5, "W3": 1.12, "W4": 8.0, "W5": 1.5, "W6": 4.5}
# engine / PyTorch: at most this (the engine ahead of PyTorch's per-op overhead)
TORCH_TARGETS = {"W1": 0.75, "W2": 0.75, "W3": 0.95, "W4": 1.0, "W5": 0.75, "W6": 0.75}


def _calls_per_round(fn, min_time):
    fn()
    t0 = time.perf_counter()
    fn()
    return max(1, int(min_time / max(time.perf_counter() - t0, 1e-7)))


def best_times(fns, rounds=7, min_time=0.1):
    """Best per-call seconds of each of ``fns``, their rounds interleaved so that a busy moment
    of the machine slows every contender alike (the best round of each is kept)."""
    numbers = [_calls_per_round(fn, min_time) for fn in fns]
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, (fn, number) in enumerate(zip(fns, numbers)):
            gc.collect()
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            best[i] = min(best[i], (time.perf_counter() - t0) / number)
    return best


def best_time(fn, repeat=7, min_time=0.1):
    return best_times([fn], repeat, min_time)[0]


# ---- W1: the seed's y = X w^T + b, loss = mean((y - Y)^2), one SGD step --------------------------
def w1(lib, n=10):
    rng = np.random.default_rng(0)
    Xn, Yn = rng.standard_normal((n, 2)).astype(np.float32), rng.standard_normal((n, 1)).astype(
        np.float32)
    X, Y = lib.tensor(Xn), lib.tensor(Yn)
    w = lib.tensor([[3.0, 1.0]], requires_grad=True)
    b = lib.tensor([[3.0]], requires_grad=True)

    def step():
        loss = lib.mean(lib.pow(X @ w.t() + b - Y, 2))
        loss.backward()
        with lib.no_grad():
            w.sub_(0.01 * w.grad)
            b.sub_(0.01 * b.grad)
        w.grad = None
        b.grad = None

    return step


def w1_numpy(n=10):
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((n, 2)).astype(np.float32), rng.standard_normal((n, 1)).astype(
        np.float32)
    w = np.array([[3.0, 1.0]], np.float32)
    b = np.array([[3.0]], np.float32)

    def step():
        nonlocal w, b
        r = X @ w.T + b - Y
        _loss = np.mean(r * r)
        g = (2.0 / r.size) * r
        gw = g.T @ X
        gb = g.sum(0, keepdims=True)
        w = w - 0.01 * gw
        b = b - 0.01 * gb

    return step


# ---- W2: a chain of 200 elementwise ops on 4 elements --------------------------------------------
def w2(lib):
    x = lib.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)

    def step():
        y = x
        for _ in range(50):
            y = y * 1.01
            y = y + 0.1
            y = y.tanh()
            y = y - 0.05
        y.backward(lib.ones(4))
        x.grad = None

    return step


def w2_numpy():
    x = np.array([0.1, 0.2, 0.3, 0.4], np.float32)

    def step():
        y = x
        outs = []
        for _ in range(50):
            y = y * np.float32(1.01)
            y = y + np.float32(0.1)
            y = np.tanh(y)
            outs.append(y)
            y = y - np.float32(0.05)
        g = np.ones(4, np.float32)
        for t in reversed(outs):
            g = g * (1 - t * t)
            g = g * np.float32(1.01)

    return step


def w2_inplace(lib, through_view):
    """W2's chain written with in-place ops, on a plain non-leaf or through a view of it: views
    must cost nothing on tensors that are not views."""
    x = lib.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)

    def step():
        b = x * 1
        y = b.view(4) if through_view else b
        for _ in range(50):
            y.mul_(1.01)
            y.add_(0.1)
            y.neg_()
            y.sub_(0.05)
        b.backward(lib.ones(4))
        x.grad = None

    return step


# ---- W3: MLP 784-256-10 training step, batch 128, float32 ----------------------------------------
def w3(lib):
    rng = np.random.default_rng(0)
    X = lib.tensor(rng.standard_normal((128, 784)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 128))
    W1 = lib.tensor(rng.standard_normal((256, 784)).astype(np.float32) * 0.03, requires_grad=True)
    b1 = lib.tensor(np.zeros(256, np.float32), requires_grad=True)
    W2 = lib.tensor(rng.standard_normal((10, 256)).astype(np.float32) * 0.06, requires_grad=True)
    b2 = lib.tensor(np.zeros(10, np.float32), requires_grad=True)
    params = (W1, b1, W2, b2)
    rows = lib.arange(128)

    def step():
        h = (X @ W1.t() + b1).relu()
        logits = h @ W2.t() + b2
        loss = -logits.log_softmax(1)[rows, y].mean()
        loss.backward()
        with lib.no_grad():
            for p in params:
                p -= 0.1 * p.grad
                p.grad = None

    return step


def w3_numpy():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    W1 = rng.standard_normal((256, 784)).astype(np.float32) * np.float32(0.03)
    b1 = np.zeros(256, np.float32)
    W2 = rng.standard_normal((10, 256)).astype(np.float32) * np.float32(0.06)
    b2 = np.zeros(10, np.float32)
    rows = np.arange(128)

    def step():
        nonlocal W1, b1, W2, b2
        a = X @ W1.T + b1
        h = np.maximum(a, 0)
        z = h @ W2.T + b2
        z = z - z.max(1, keepdims=True)
        lse = np.log(np.exp(z).sum(1, keepdims=True))
        logp = z - lse
        _loss = -logp[rows, y].mean()
        g = np.exp(logp)
        g[rows, y] -= 1
        g /= 128
        gW2 = g.T @ h
        gb2 = g.sum(0)
        gh = g @ W2
        ga = gh * (a > 0)
        gW1 = ga.T @ X
        gb1 = ga.sum(0)
        W1 = W1 - np.float32(0.1) * gW1
        b1 = b1 - np.float32(0.1) * gb1
        W2 = W2 - np.float32(0.1) * gW2
        b2 = b2 - np.float32(0.1) * gb2

    return step


# ---- W4: Hessian-vector product of sum(tanh(x)**3 * x), x of 1000, float32 -----------------------
def w4(lib):
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal(1000).astype(np.float32), requires_grad=True)
    v = lib.tensor(rng.standard_normal(1000).astype(np.float32))

    def step():
        f = (x.tanh() ** 3 * x).sum()
        (g,) = lib.autograd.grad(f, x, create_graph=True)
        (hv,) = lib.autograd.grad((g * v).sum(), x)
        return hv

    return step


def w4_numpy():
    """f = sum(t³x), t = tanh x; g = 3t²s·x + t³ with s = 1 − t²; H·v = (6ts²x − 6t³sx + 6t²s)·v,
    each power computed once."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1000).astype(np.float32)
    v = rng.standard_normal(1000).astype(np.float32)

    def step():
        t = np.tanh(x)
        t2 = t * t
        t3 = t2 * t
        _f = np.sum(t3 * x)
        s = 1 - t2
        ts = t * s
        _g = 3 * t2 * s * x + t3
        return 6 * ts * (s * x - t2 * x + t) * v

    return step


# ---- W6: a 10,000-node graph (the W2 chain, 2,500 rounds): build + backward -----------------------
W6_ROUNDS = 2500


def w6(lib, rounds=W6_ROUNDS):
    x = lib.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)

    def step():
        y = x
        for _ in range(rounds):
            y = y * 1.01
            y = y + 0.1
            y = y.tanh()
            y = y - 0.05
        y.backward(lib.ones(4))
        x.grad = None

    return step


def w6_numpy(rounds=W6_ROUNDS):
    x = np.array([0.1, 0.2, 0.3, 0.4], np.float32)

    def step():
        y = x
        outs = []
        for _ in range(rounds):
            y = np.tanh(y * np.float32(1.01) + np.float32(0.1))
            outs.append(y)
            y = y - np.float32(0.05)
        g = np.ones(4, np.float32)
        for t in reversed(outs):
            g = g * (1 - t * t) * np.float32(1.01)

    return step


# ---- W5: y = X w^T + b on 100,000 samples: time, peak memory, graph freed by backward ------------
def w5_memory(lib):
    rng = np.random.default_rng(0)
    X = lib.tensor(rng.standard_normal((100_000, 2)).astype(np.float32))
    Y = lib.tensor(rng.standard_normal((100_000, 1)).astype(np.float32))
    w = lib.tensor([[3.0, 1.0]], requires_grad=True)
    b = lib.tensor([[3.0]], requires_grad=True)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    loss = lib.mean(lib.pow(X @ w.t() + b - Y, 2))
    held_graph = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.reset_peak()
    loss.backward()
    after, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return held_graph, after - base, peak - base


def report(name, t_engine, t_numpy, t_torch, unit_div=1.0, unit="ms"):
    scale = 1e3 if unit == "ms" else 1e6
    ratio = t_engine / t_numpy
    tt = f"{t_torch * scale / unit_div:9.3f}" if t_torch else "      n/a"
    tr = f"{t_torch / t_numpy:6.2f}" if t_torch else "   n/a"
    ok = "ok" if ratio <= TARGETS[name] else "OVER"
    vs = ""
    if t_torch:
        et = t_engine / t_torch
        vs = (f"  engine/torch {et:5.2f} (<= {TORCH_TARGETS[name]} "
              f"{'ok' if et <= TORCH_TARGETS[name] else 'OVER'})")
    te, tn = t_engine * scale / unit_div, t_numpy * scale / unit_div
    print(f"{name}  engine {te:9.3f} {unit}  numpy {tn:9.3f}"
          f" {unit}  torch {tt} {unit}  ratio {ratio:6.2f} (torch {tr})  target <= "
          f"{TARGETS[name]}  {ok}{vs}")
    return ratio


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS/OpenMP threads for all three libraries (0: their defaults)")
    args = ap.parse_args(argv)
    rep = 4 if args.quick else 12
    print(f"numpy {np.__version__}; torch {torch.__version__ if torch else 'not installed'}; "
          f"{describe(THREADS)}")
    rows = [
        ("W1", w1, w1_numpy, (), 1.0, "us"),
        ("W2", w2, w2_numpy, (), 200.0, "us"),
        ("W3", w3, w3_numpy, (), 1.0, "ms"),
        ("W4", w4, w4_numpy, (), 1.0, "ms"),
        ("W6", w6, w6_numpy, (), 4 * W6_ROUNDS, "us"),
    ]
    for name, make, make_np, _extra, div, unit in rows:
        te, tn, tt = _interleaved(make, make_np, rep)
        report(name, te, tn, tt, div, unit)
        if name == "W6":
            _live_scaling(args.quick)
        if name == "W2":
            class Noop(observe.Observer):
                pass

            with observe.observing(Noop()):
                to = best_time(make(engine), rep)
            check = _detached_check_seconds()
            print(f"    W2 with a no-op observer attached: {to * 1e6 / 200:.3f} us/node "
                  f"(no observer: {te * 1e6 / 200:.3f}); detached, the observer costs one "
                  f"`is not None` check per op and per backward step: {check * 1e9:.0f} ns, "
                  f"{200 * check / te:.1%} of a W2 node")
            plain, view = best_times([w2_inplace(engine, False), w2_inplace(engine, True)], rep)
            print(f"    W2 written in place: {plain * 1e6 / 200:.3f} us/node on a tensor that is "
                  f"not a view, {view * 1e6 / 200:.3f} us/node through a view (CopySlices and "
                  "AsStridedBackward0 at every op)")

    te, tn, tt = _interleaved(_w5_step, _w5_numpy_step, max(3, rep // 2))
    report("W5", te, tn, tt, 1.0, "ms")
    held, after, peak = w5_memory(engine)
    print(f"    W5 memory: graph holds {held / 1e6:.1f} MB before backward; {after / 1e6:.1f} MB "
          f"left after backward (graph {'freed' if after < held / 4 else 'NOT freed'}); peak "
          f"during backward {peak / 1e6:.1f} MB")


def _per_node(nodes, repeat=1):
    """Seconds per node to build a W6 chain of ``nodes`` nodes and backpropagate through it."""
    best = float("inf")
    for _ in range(repeat):
        step = w6(engine, nodes // 4)
        gc.collect()
        t0 = time.perf_counter()
        step()
        best = min(best, (time.perf_counter() - t0) / nodes)
    return best


def _live_scaling(quick):
    """Per-node cost with 10k against 1M live nodes (200k with --quick): the cyclic collector
    would rescan the live graph at every full collection but for engine.gc_policy."""
    from engine import gc_policy

    big = 200_000 if quick else 1_000_000
    small = _per_node(10_000, 5)
    large = _per_node(big)
    gc_policy.uninstall()
    try:
        off = _per_node(200_000)
    finally:
        gc_policy.install()
    print(f"    W6 live-graph scaling, build + backward: {small * 1e6:.3f} us/node at 10k nodes, "
          f"{large * 1e6:.3f} at {big // 1000}k (x{large / small:.2f}); collector policy off: "
          f"{off * 1e6:.3f} at 200k (x{off / small:.2f})")


def _interleaved(make, make_np, rep):
    """Engine, numpy and PyTorch (None when absent) timed in interleaved rounds: their thread
    pools are pinned alike, and a busy moment of a shared machine then slows all three."""
    fns = [make(engine), make_np()] + ([make(torch)] if torch is not None else [])
    times = best_times(fns, rep)
    return times[0], times[1], (times[2] if torch is not None else None)


def _detached_check_seconds(n=1_000_000):
    """What recording and each backward step pay for the observer when none is attached: the
    same two bytecodes as in engine.tensor.record and the backward loop."""
    def loop(k):
        for _ in range(k):
            obs = observe.current
            if obs is not None:
                pass

    def empty(k):
        for _ in range(k):
            pass

    t_loop = best_time(lambda: loop(n), 5)
    t_empty = best_time(lambda: empty(n), 5)
    return 2 * max(t_loop - t_empty, 0.0) / n  # one check when recording, one per step


def _w5_step(lib):
    return w1(lib, 100_000)


def _w5_numpy_step():
    return w1_numpy(100_000)


if __name__ == "__main__":
    main()
