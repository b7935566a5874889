"""Recording a run for a later check must not import sympy: the app records every Run, and
sympy's import (about 0.5 s of CPU) belongs to the first check, in its worker, not to the run.
(A custom Function's forward is still replayed on numpy while it is recorded, through the rule
table, which imports sympy.)"""

import subprocess
import sys

PROGRAM = """
import sys
from engine import observe
import engine as torch
import desktop.app_state  # the app's recording glue
from symbolic import CallTraceRecorder

rec = CallTraceRecorder()
with observe.observing(rec):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (torch.tanh(x) * 3 + x.exp() @ x).sum().backward()
assert len(rec.calls) == 1, rec.calls
print("sympy" in sys.modules)
"""


def test_a_recorded_run_leaves_sympy_unimported():
    out = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
