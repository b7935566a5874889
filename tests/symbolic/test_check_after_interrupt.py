"""A script that ends with KeyboardInterrupt (Ctrl+C in a training loop) still gets the calls it
made checked, and the exit status says the script did not finish."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_calls_made_before_a_keyboard_interrupt_are_checked(tmp_path):
    script = tmp_path / "train.py"
    script.write_text("import torch\n"
                      "x = torch.tensor([1.0, 2.0], requires_grad=True)\n"
                      "(x * x).sum().backward()\n"
                      "raise KeyboardInterrupt\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "desktop.cli", "check", str(script)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert proc.stderr.splitlines()[-1] == "stepgrad check: interrupted"
    assert "KeyboardInterrupt" in proc.stderr
    assert "d/dx" in proc.stdout or "x[0]" in proc.stdout, proc.stdout
    assert proc.returncode == 130  # the script did not finish: as Ctrl+C ends a program
