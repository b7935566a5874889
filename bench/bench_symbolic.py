"""Time the three-way check (run: python bench/bench_symbolic.py [WORDS of the case names]).

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
    "MLP 4-32-32-1 tanh, batch 16, MSE (1,217 params)": """
        import engine as torch
        from engine import nn
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                              nn.Linear(32, 1))
        X = torch.randn(16, 4)
        Y = torch.randn(16, 1)
        loss = nn.functional.mse_loss(model(X), Y)
        loss.backward()
    """,
    "MLP 784-64-10 relu, batch 8, cross-entropy (50,890 params)": """
        import engine as torch
        from engine import nn
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
        X = torch.randn(8, 784)
        t = torch.randint(0, 10, (8,))
        loss = nn.functional.cross_entropy(model(X), t)
        loss.backward()
    """,
    "CNN conv 1-4-8 + relu + max-pool + linear, 28x28, batch 8 (4,266 params)": """
        import engine as torch
        from engine import nn
        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(8 * 7 * 7, 10))
        X = torch.randn(8, 1, 28, 28)
        t = torch.randint(0, 10, (8,))
        loss = nn.functional.cross_entropy(model(X), t)
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
import json, time
t0, c0 = time.perf_counter(), time.process_time()
import engine
from engine import observe
import symbolic
rec = symbolic.CallTraceRecorder()
with observe.observing(rec):
    exec(compile(SOURCE, "<bench>", "exec"), {"__name__": "__main__"})
reports = symbolic.check_all(rec.calls)
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "check": sum(r.seconds for r in reports),
                  "elements": sum(len(r.elements) for r in reports),
                  "derived_n": sum(e.symbolic is not None for r in reports for e in r.elements),
                  "matrix": sum(t.matrix_form.compared for r in reports for t in r.targets
                                if t.matrix_form is not None),
                  "params": sum(t.total for r in reports for t in r.targets),
                  "ok": all(r.ok for r in reports),
                  "complete": all(r.complete for r in reports),
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


def measure_cli(name: str) -> tuple[float, float, int]:
    """``stepgrad check`` of the case as a script (with its re-runs): wall and CPU seconds
    (all threads) from process start to exit, and the exit status."""
    import resource
    import tempfile

    code = textwrap.dedent(CASES[name]).replace("import engine as torch", "import torch") \
        .replace("from engine import", "from torch import")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "case.py")
        with open(path, "w") as f:
            f.write(code)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "symbolic.cli", "check", path],
                             capture_output=True, text=True, check=False, cwd=ROOT)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu, out.returncode


if __name__ == "__main__":
    # python bench/bench_symbolic.py [WORDS...]: only the cases whose name contains them
    for name in [n for n in CASES if all(w in n for w in sys.argv[1:])]:
        m = measure(name)
        print(f"{name}: {m['wall']:.2f} s total ({m['cpu']:.2f} s CPU; {m['process']:.2f} s with "
              f"interpreter start), check itself {m['check']:.2f} s; matrix forms compared at "
              f"{m['matrix']} of {m['params']} gradient elements, {m['derived_n']} of "
              f"{m['elements']} sampled elements derived as scalar closed forms; all agree: "
              f"{m['ok']}, every sampled "
              f"element with a closed form: {m['derived']}, nothing left unchecked: "
              f"{m['complete']}")
        wall, cpu, status = measure_cli(name)
        print(f"    stepgrad check (with the script re-run): {wall:.2f} s ({cpu:.2f} s CPU), "
              f"exit {status}")
