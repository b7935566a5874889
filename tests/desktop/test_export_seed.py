"""An exported script starts from the seed the app's runs start from, so a script that never
calls manual_seed prints the app's numbers, on the engine and on real PyTorch alike."""

import subprocess
import sys

import pytest

from desktop.export import RUN_SEED, export_script
from desktop.runner import run_script
from engine.random import DEFAULT_SEED

UNSEEDED = """\
import torch
x = torch.randn(3, requires_grad=True)
w = torch.nn.Linear(3, 1)
y = w(x).sum() * 2
y.backward()
print((x.grad.tolist(), w.weight.tolist()))
"""


def test_the_export_seed_is_the_runs_seed():
    assert RUN_SEED == DEFAULT_SEED  # export must not import engine: the constant is repeated


def _run(text, tmp_path):
    path = tmp_path / "exported.py"
    path.write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()[0]


def test_unseeded_script_prints_the_apps_numbers_on_the_engine(tmp_path):
    app = run_script(UNSEEDED).output.splitlines()[0]
    assert _run(export_script(UNSEEDED), tmp_path) == app


def test_unseeded_script_prints_the_apps_numbers_on_pytorch(tmp_path):
    pytest.importorskip("torch")
    app = run_script(UNSEEDED).output.splitlines()[0]
    on_torch = _run(export_script(UNSEEDED, backend="torch"), tmp_path)
    got, want = (eval(line) for line in (on_torch, app))  # lists of floats, printed in full
    assert got[0] == pytest.approx(want[0], rel=1e-6)
    assert got[1][0] == pytest.approx(want[1][0], rel=1e-6)
