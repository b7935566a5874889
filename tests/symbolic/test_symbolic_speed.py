"""The issue's speed target: checking the seed's y = wx + b model (X 10x2) takes under 2 s,
including the sympy import, measured in a fresh interpreter by bench/bench_symbolic.py."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_symbolic.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_symbolic", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_seed_linear_model_is_checked_in_under_two_seconds_from_a_cold_start():
    bench = _bench()
    name = next(n for n in bench.CASES if n.startswith("seed y = wx + b"))
    runs = []
    for _ in range(3):  # the machine may be shared: the best of up to three runs
        m = bench.measure(name)
        runs.append(m)
        if m["wall"] < 2.0:
            break
    m = min(runs, key=lambda r: r["wall"])
    assert m["ok"] and m["derived"] and m["elements"] == 3
    assert m["cpu"] < 2.0, runs  # the work itself, whatever else the machine runs
    assert m["wall"] < 2.0, runs
