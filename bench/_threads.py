"""Pin the BLAS / OpenMP thread pools before numpy is imported (``--threads N``, default 1).

What these benchmarks measure is the engine's overhead over numpy doing the same math. On a small
machine a multi-threaded BLAS makes one 128x784x256 matmul swing between 0.5 and 1.5 ms from call
to call, which buries that overhead in noise; with one thread the matmul is slower but steady.
Engine, numpy and PyTorch get the same setting, so the ratios stay like for like. With more
threads the matmuls shrink and the same absolute overhead becomes a larger ratio (W3 reads about
1.20 with two threads on a 2-vCPU machine, against 1.11 with one). ``--threads 0`` leaves the
libraries' defaults alone.
"""

from __future__ import annotations

import os
import sys

_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def pin_from_argv(argv=None) -> int:
    """Read ``--threads N`` from ``argv`` (sys.argv) and set the pools; return N (0: default)."""
    argv = sys.argv[1:] if argv is None else argv
    n = 1
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            n = int(argv[i + 1])
        elif a.startswith("--threads="):
            n = int(a.split("=", 1)[1])
    if "numpy" in sys.modules and n:
        print("note: numpy was imported before the thread pools could be pinned", file=sys.stderr)
    if n:
        for v in _VARS:
            os.environ[v] = str(n)
    return n


def pin_torch(torch, n: int) -> None:
    if torch is not None and n:
        torch.set_num_threads(n)


def describe(n: int) -> str:
    return f"{n} BLAS thread{'s' if n != 1 else ''}" if n else "library default threads"
