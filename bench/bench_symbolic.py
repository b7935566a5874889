"""Time the three-way check (run: python bench/bench_symbolic.py).

Each case runs in a fresh interpreter so "including sympy import" is honest: the figure is the
wall time of `import engine, symbolic` + building the model + recording + checking every call.
"""

import json
import os
import subprocess
import sys
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # `-c` imports from the cwd

CASES = {
    "seed y = wx + b (X 10x2)": """
        import engine as torch
        torch.manual_seed(0)
        w = torch.tensor([[3.0, 1.0]], requires_grad=True)
        b = torch.tensor([[3.0]], requires_grad=True)
        X = torch.randn(10, 2)
        Y = torch.randn(10, 1)
        loss = torch.mean(torch.pow(X @ w.t() + b - Y, 2))
        loss.backward()
    """,
    **{f"MLP 3-8-1 {act.lower()}, batch 16, MSE (41 params)": f"""
        import engine as torch
        from engine import nn
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 8), nn.{act}(), nn.Linear(8, 1))
        X = torch.randn(16, 3)
        Y = torch.randn(16, 1)
        loss = nn.functional.mse_loss(model(X), Y)
        loss.backward()
    """ for act in ("ReLU", "Tanh")},
    "MLP 4-32-3 relu, batch 8, cross-entropy (259 params; 32x4 and 3x32 weights sampled)": """
        import engine as torch
        from engine import nn
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 3))
        X = torch.randn(8, 4)
        t = torch.randint(0, 3, (8,))
        loss = nn.functional.cross_entropy(model(X), t)
        loss.backward()
    """,
}

RUNNER = """
import json, time
t0, c0 = time.perf_counter(), time.process_time()
import engine
from engine import observe
import symbolic
rec = symbolic.Recorder()
with observe.observing(rec):
    exec(compile(SOURCE, "<bench>", "exec"), {"__name__": "__main__"})
reports = symbolic.check_all(rec.calls)
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "check": sum(r.seconds for r in reports),
                  "elements": sum(len(r.elements) for r in reports),
                  "ok": all(r.ok for r in reports),
                  "derived": all(e.symbolic is not None for r in reports for e in r.elements)}))
"""


def measure(name: str) -> dict:
    """One case in a fresh interpreter: wall/CPU seconds from before ``import engine`` to the
    last report (so including the sympy import), and the process's wall time from its start."""
    code = f"SOURCE = {textwrap.dedent(CASES[name])!r}\n" + RUNNER
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False, cwd=ROOT)
    process = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "process": process}


if __name__ == "__main__":
    for name in CASES:
        m = measure(name)
        print(f"{name}: {m['wall']:.2f} s total ({m['cpu']:.2f} s CPU; {m['process']:.2f} s with "
              f"interpreter start), check itself {m['check']:.2f} s, {m['elements']} elements, "
              f"all agree: {m['ok']}, all with closed forms: {m['derived']}")
