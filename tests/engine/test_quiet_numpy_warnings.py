"""A plain ``import engine as torch`` script prints what PyTorch prints: no numpy
floating-point warnings from inside the engine, while the script's own numpy still warns."""

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """\
import numpy as np
import engine as torch
x = torch.tensor([1.0, 0.0], requires_grad=True)
torch.log(x).sum().backward()
print(x.grad, torch.ones(2) / 0)
np.log(np.zeros(1))
"""


def test_engine_numpy_warnings_are_silent_and_the_scripts_own_are_not(tmp_path):
    path = tmp_path / "quiet.py"
    path.write_text(SCRIPT)
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-W", "default", str(path)], capture_output=True,
                          text=True, timeout=60, cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "tensor([1., inf]) tensor([inf, inf])\n"
    assert proc.stderr.count("RuntimeWarning") == 1 and "quiet.py:6" in proc.stderr
