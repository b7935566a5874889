"""``import engine`` registers every op row without loading ``torch.nn`` (its Module classes
load on first use of ``engine.nn``), and using ``engine.nn`` adds no row."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_engine_leaves_torch_nn_unloaded_and_nn_adds_no_row():
    code = ("import sys, engine\n"
            "from engine.ops import OPS\n"
            "print(sorted(m for m in sys.modules if m.startswith('engine.nn')))\n"
            "before = set(OPS)\n"
            "engine.nn.Linear(2, 2)\n"
            "import engine.nn.functional\n"
            "print(sorted(set(OPS) - before))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "[]"], out.stdout
