"""The speed targets, measured in fresh interpreters by bench/bench_symbolic.py, including the
sympy import: the seed's y = wx + b model (X 10x2) in about a second, and `stepgrad check` (with
its re-runs of the script) of a tanh MLP 4-32-32-1 on a batch of 16 and of a relu MLP 784-64-10
on a batch of 8 within 5 s each, every element compared with a matrix form and nothing left
unchecked. The machine is shared, so the assertions are on CPU seconds (what the check itself
costs), the best of up to three runs; wall time is what the bench reports. The budgets are the
development machine's; a slower one scales them by how much slower it imports sympy and
differentiates a small expression (``machine_pace``)."""

import importlib.util
from pathlib import Path

import pytest
from machine_pace import SYMPY_DIFF, pace

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_symbolic.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_symbolic", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_seed_linear_model_is_checked_in_about_a_second_from_a_cold_start():
    bench = _bench()
    name = next(n for n in bench.CASES if n.startswith("seed y = wx + b"))
    runs = []
    for _ in range(3):
        m = bench.measure(name)
        runs.append(m)
        if m["cpu"] < 1.0:
            break
    m = min(runs, key=lambda r: r["cpu"])
    assert m["ok"] and m["derived"] and m["complete"] and m["elements"] == 3
    if m["cpu"] >= 1.35:
        assert m["cpu"] < 1.35 * pace(SYMPY_DIFF), runs


@pytest.mark.parametrize("prefix", ["MLP 4-32-32-1 tanh", "MLP 784-64-10 relu"])
def test_stepgrad_check_of_a_learners_mlp_takes_under_five_seconds(prefix):
    bench = _bench()
    name = next(n for n in bench.CASES if n.startswith(prefix))
    runs = []
    for _ in range(3):
        wall, cpu, status = bench.measure_cli(name)
        runs.append((cpu, wall, status))
        if cpu < 5.0:
            break
    cpu, wall, status = min(runs)
    assert status == 0, runs  # every element compared, all agree, the re-run agrees too
    if cpu >= 5.0:
        assert cpu < 5.0 * pace(SYMPY_DIFF), runs


def test_stepgrad_check_of_the_seed_model_stays_near_a_second():
    # the terminal prints plain text only: sympy's pretty printer (0.3 s of imports) is not run
    bench = _bench()
    name = next(n for n in bench.CASES if n.startswith("seed y = wx + b"))
    runs = []
    for _ in range(3):
        wall, cpu, status = bench.measure_cli(name)
        runs.append((cpu, wall, status))
        if cpu < 1.0:
            break
    cpu, wall, status = min(runs)
    assert status == 0, runs
    # the target is 1 s; the check reads 0.9-1.1 s of CPU on the shared 2-vCPU machine (imports
    # are 0.65 s of it: engine 0.22, sympy 0.28, engine.nn 0.06), so the test guards against a
    # regression, with a margin
    if cpu >= 1.35:
        assert cpu < 1.35 * pace(SYMPY_DIFF), runs
