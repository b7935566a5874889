"""Time the three-way check (run: python bench/bench_symbolic.py).

Each case runs in a fresh interpreter so "including sympy import" is honest: the figure is the
wall time of `import engine, symbolic` + building the model + recording + checking every call.
"""

import subprocess
import sys
import textwrap

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
    "MLP 3-8-1 relu, batch 16, MSE (41 params)": """
        import engine as torch
        from engine import nn
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
        X = torch.randn(16, 3)
        Y = torch.randn(16, 1)
        loss = nn.functional.mse_loss(model(X), Y)
        loss.backward()
    """,
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
import time
t0 = time.perf_counter()
import engine
from engine import observe
import symbolic
rec = symbolic.Recorder()
with observe.observing(rec):
    exec(compile(SOURCE, "<bench>", "exec"), {"__name__": "__main__"})
reports = symbolic.check_all(rec.calls)
t1 = time.perf_counter()
n = sum(len(r.elements) for r in reports)
print(f"{t1 - t0:.2f} s total, {n} elements, all agree: {all(r.ok for r in reports)}, "
      f"check itself {sum(r.seconds for r in reports):.2f} s")
"""

if __name__ == "__main__":
    for name, src in CASES.items():
        code = f"SOURCE = {textwrap.dedent(src)!r}\n" + RUNNER
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=False)
        print(f"{name}: {(out.stdout or out.stderr).strip().splitlines()[-1]}")
