"""nn + optim benchmark: one training step of an MLP 784-256-10 (batch 128, float32) written the
PyTorch way — ``nn.Sequential(nn.Linear, nn.ReLU, nn.Linear)``, ``nn.CrossEntropyLoss``,
``optim.SGD`` — timed in one run against hand-written numpy doing the same math (forward, the
hand-derived backward and the SGD update: the limit no autograd can beat) and, when importable,
real PyTorch running the same script. Run by hand: ``python bench/bench_nn.py [--quick]``.

Reports the best of several rounds (robust to a busy machine), ms per step, and engine / numpy.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _threads import describe, pin_from_argv, pin_torch

THREADS = pin_from_argv()  # before numpy: BLAS reads its thread count when it loads

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine  # noqa: E402

try:
    import torch
except ImportError:  # the oracle is optional
    torch = None
pin_torch(torch, THREADS)

TARGET = 1.15
N, D, H, C = 128, 784, 256, 10
LR = 0.1


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, D)).astype(np.float32)
    y = rng.integers(0, C, N)
    w1 = (rng.standard_normal((H, D)) * 0.03).astype(np.float32)
    b1 = np.zeros(H, np.float32)
    w2 = (rng.standard_normal((C, H)) * 0.06).astype(np.float32)
    b2 = np.zeros(C, np.float32)
    return x, y, [w1, b1, w2, b2]


def library_step(lib):
    """The tutorial training step, unchanged between ``engine`` and ``torch``."""
    x, y, weights = _data()
    nn = lib.nn
    model = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C))
    with lib.no_grad():
        for p, w in zip(model.parameters(), weights, strict=False):
            p.copy_(lib.tensor(w))
    loss_fn = nn.CrossEntropyLoss()
    opt = lib.optim.SGD(model.parameters(), lr=LR)
    X, Y = lib.tensor(x), lib.tensor(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        opt.step()
        return loss

    return step, model


def numpy_step():
    x, y, (w1, b1, w2, b2) = _data()
    rows = np.arange(N)
    lr = np.float32(LR)

    def step():
        nonlocal w1, b1, w2, b2  # updated in place: `-=` on an array keeps the same object
        a = x @ w1.T
        a += b1
        h = np.maximum(a, 0)
        z = h @ w2.T
        z += b2
        z -= z.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        loss = -logp[rows, y].mean()
        g = np.exp(logp)
        g[rows, y] -= 1
        g /= N
        gw2 = g.T @ h
        gb2 = g.sum(0)
        gh = g @ w2
        gh *= h > 0
        gw1 = gh.T @ x
        gb1 = gh.sum(0)
        w1 -= lr * gw1
        b1 -= lr * gb1
        w2 -= lr * gw2
        b2 -= lr * gb2
        return loss

    return step, (w1, b1, w2, b2)


CLOCK = time.perf_counter


def best_ms(fn, number):
    """Milliseconds per call of one round of ``number`` calls."""
    t0 = CLOCK()
    for _ in range(number):
        fn()
    return (CLOCK() - t0) / number * 1e3


def check_same_math(steps=5):
    """Both sides start from the same weights; after a few steps they must agree."""
    eng, model = library_step(engine)
    ref, weights = numpy_step()
    for _ in range(steps):
        le, ln = float(eng()), float(ref())
        if abs(le - ln) > 1e-4 * max(1.0, abs(ln)):
            raise SystemExit(f"engine and numpy disagree: loss {le} vs {ln}")
    for p, w in zip(model.parameters(), weights, strict=False):
        if not np.allclose(p.detach().numpy(), w, rtol=1e-4, atol=1e-5):
            raise SystemExit("engine and numpy parameters disagree")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS/OpenMP threads for all three libraries (0: their defaults)")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time with process CPU time instead of wall time (with one BLAS "
                         "thread, neighbours' load on a busy machine then does not count)")
    args = ap.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.cpu_time else time.perf_counter
    rounds, number = (20, 5) if args.quick else (60, 10)
    check_same_math()
    contenders = [("numpy", numpy_step()[0]), ("engine", library_step(engine)[0])]
    best = {name: float("inf") for name, _ in contenders}
    for _, fn in contenders:
        fn()
    # many short rounds, interleaved, best kept: a busy neighbour slows both alike and the quiet
    # moments show each side's real cost
    for _ in range(rounds):
        gc.collect()
        for name, fn in contenders:
            best[name] = min(best[name], best_ms(fn, number))
    if torch is not None:
        # last and on its own: torch's OpenMP workers keep spinning after each call and would
        # steal the BLAS threads' cores from the other two on a small machine
        if args.cpu_time:  # CPU time would count its idle workers' spinning
            torch.set_num_threads(1)  # (already so unless --threads 0)
        fn = library_step(torch)[0]
        fn()
        contenders.append(("torch", fn))
        best["torch"] = min(best_ms(fn, number) for _ in range(rounds))
    print(f"MLP {D}-{H}-{C}, batch {N}, float32: nn.Linear + nn.ReLU + CrossEntropyLoss + SGD"
          f" ({'process CPU' if args.cpu_time else 'wall'} time, best of {rounds} x {number}, "
          f"{describe(THREADS)})")
    for name, _ in contenders:
        print(f"  {name:7s} {best[name]:8.3f} ms/step   x{best[name] / best['numpy']:.3f} of numpy")
    ratio = best["engine"] / best["numpy"]
    print(f"engine / numpy = {ratio:.3f} (target <= {TARGET}) "
          f"{'OK' if ratio <= TARGET else 'OVER TARGET'}")
    return ratio


if __name__ == "__main__":
    main()
