"""Jupyter notebooks: a notebook becomes one script (cells in order, markdown as comments,
IPython lines skipped with a note, the last expression shown as Jupyter shows it), runs and is
checked from the command line with errors placed in their cell, and scripts/sessions export as
notebooks that round-trip."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from desktop.notebook import NotebookError, read_notebook, script_to_notebook
from desktop.session import Session, save

ROOT = Path(__file__).resolve().parents[2]

CELLS = [
    ("markdown", "# Gradients by hand\nA scalar loss of two weights."),
    ("code", "%matplotlib inline\nimport torch\n!pip install torch"),
    ("code", "w = torch.tensor([1.0, -2.0], requires_grad=True)\nloss = (w * w).sum()\nloss"),
    ("code", "%%time\nloss.backward()\nw.grad"),
    ("code", "%%bash\necho not python"),
    ("code", "print(w.grad * 3)\nw.grad.shape;"),
    ("code", "def double(t):\n    %time t\n    return t * 2\n(double(w)\n .sum())"),
]


def _notebook(path, cells=CELLS):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "markdown"
                else nbformat.v4.new_code_cell(src) for kind, src in cells]
    nbformat.write(nb, str(path))
    return path


def stepgrad(*args, cwd, timeout=120):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, env=env)


def test_cells_become_one_script(tmp_path):
    script = read_notebook(_notebook(tmp_path / "grads.ipynb"))
    code = script.code
    assert "# %% [markdown]\n# # Gradients by hand\n# A scalar loss of two weights." in code
    assert "pass  # skipped by stepgrad: %matplotlib inline\nimport torch\n" in code
    assert "\n_show(loss)\n" in code and "\n_show(w.grad)\n" in code  # Jupyter's display
    assert "w.grad.shape;" in code and "_show(w.grad.shape)" not in code  # ';' hides it
    assert "print(w.grad * 3)" in code and "_show(print" not in code
    assert "#| echo not python" in code  # a non-Python cell is kept as comments
    assert "    pass  # skipped by stepgrad: %time t" in code  # indentation kept
    assert "(_show(double(w)\n .sum()))" in code
    assert script.notes == ("cell 2, line 1: %matplotlib inline",
                            "cell 2, line 3: !pip install torch", "cell 4, line 1: %%time",
                            "cell 5, line 1: %%bash", "cell 7, line 2: %time t")
    compile(code, "grads.ipynb", "exec")
    lines = code.splitlines()
    at = lines.index("loss = (w * w).sum()") + 1
    assert script.where(at) == "cell 3, line 2"
    assert script.where(1) is None  # the title comment is no cell's


def test_script_back_to_the_same_cells(tmp_path):
    script = read_notebook(_notebook(tmp_path / "grads.ipynb"))
    nb = script_to_notebook(script.code)
    nbformat.validate(nb)
    assert [(c.cell_type, c.source) for c in nb.cells] == CELLS
    plain = script_to_notebook("import torch\nx = torch.ones(2)\nx\n")
    assert [c.source for c in plain.cells] == ["import torch\nx = torch.ones(2)\nx"]


def test_run_prints_what_jupyter_shows_and_places_errors(tmp_path):
    path = _notebook(tmp_path / "grads.ipynb", CELLS + [("code", "v = w.detach()\nv[5]")])
    proc = stepgrad("run", str(path), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "tensor(5., grad_fn=<SumBackward0>)", "tensor([ 2., -4.])", "tensor([  6., -12.])",
        "tensor(-2., grad_fn=<SumBackward0>)"]
    assert "stepgrad run: skipped (not Python): cell 2, line 3: !pip install torch" in proc.stderr
    assert "IndexError: index 5 is out of bounds for dimension 0 with size 2" in proc.stderr
    assert "grads.ipynb is cell 8, line 2)" in proc.stderr


def test_check_reports_the_notebooks_gradients(tmp_path):
    proc = stepgrad("check", str(_notebook(tmp_path / "grads.ipynb")), "--no-rerun",
                    cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    summary = proc.stdout.strip().splitlines()[-1]
    assert "2 " in summary and "all agree" in summary and "MISMATCH" not in proc.stdout
    assert "skipped (not Python): cell 5, line 1: %%bash" in proc.stderr


def test_bad_notebooks_are_named(tmp_path):
    bad = tmp_path / "broken.ipynb"
    bad.write_text("{ not json")
    with pytest.raises(NotebookError, match="broken.ipynb is not a readable Jupyter notebook"):
        read_notebook(bad)
    proc = stepgrad("run", str(bad), cwd=tmp_path)
    assert proc.returncode == 2 and "not a readable Jupyter notebook" in proc.stderr


def test_export_a_session_as_a_notebook(tmp_path):
    code = "import torch\n\n# %%\nx = torch.ones(3, requires_grad=True)\n(x * 2).sum()\n"
    save(Session(code=code), tmp_path / "s.stepgrad")
    out = tmp_path / "out.ipynb"
    proc = stepgrad("export", str(tmp_path / "s.stepgrad"), "-o", str(out), "--torch",
                    cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "notebook" in proc.stdout
    nb = nbformat.read(str(out), as_version=4)
    nbformat.validate(nb)
    assert [c.source for c in nb.cells] == ["import torch",
                                            "x = torch.ones(3, requires_grad=True)\n"
                                            "(x * 2).sum()"]
    engine_nb = tmp_path / "engine.ipynb"
    assert stepgrad("export", str(tmp_path / "s.stepgrad"), "-o", str(engine_nb),
                    cwd=tmp_path).returncode == 0
    cells = nbformat.read(str(engine_nb), as_version=4).cells
    assert "import engine as _stepgrad_engine" in cells[0].source
    assert str(ROOT) not in engine_nb.read_text() and "sys.path.insert" not in cells[0].source
    assert cells[1].source == "import engine as torch"
    refused = stepgrad("export", str(tmp_path / "s.stepgrad"), "-o", str(engine_nb), "--check",
                       cwd=tmp_path)
    assert refused.returncode == 2 and "--check is for scripts" in refused.stderr


@pytest.mark.torch
def test_a_learner_notebook_prints_what_pytorch_prints(tmp_path):
    pytest.importorskip("torch")
    cells = [
        ("markdown", "## Bigram counts"),
        ("code", "import torch\nwords = ['ava', 'ella', 'lia', 'al']\n"
                 "chars = sorted(set(''.join(words)))\n"
                 "stoi = {c: i + 1 for i, c in enumerate(chars)}\nstoi['.'] = 0\n"
                 "itos = {i: c for c, i in stoi.items()}\nlen(stoi)"),
        ("code", "V = len(stoi)\nN = torch.zeros((V, V), dtype=torch.int32)\nfor w in words:\n"
                 "    seq = ['.'] + list(w) + ['.']\n    for a, b in zip(seq, seq[1:]):\n"
                 "        N[stoi[a], stoi[b]] += 1\nN"),
        ("code", "%%time\nP = (N + 1).float()\nP /= P.sum(1, keepdims=True)\nP[0]"),
        ("code", "g = torch.Generator().manual_seed(2147483647)\nout = []\nix = 0\n"
                 "for _ in range(12):\n"
                 "    ix = torch.multinomial(P[ix], 1, replacement=True, generator=g).item()\n"
                 "    out.append(itos[ix])\n''.join(out)"),
    ]
    path = _notebook(tmp_path / "bigram.ipynb", cells)
    ours = stepgrad("run", str(path), cwd=tmp_path)
    assert ours.returncode == 0, ours.stderr
    script = tmp_path / "as_script.py"
    script.write_text(read_notebook(path).code)
    theirs = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert theirs.returncode == 0, theirs.stderr
    assert ours.stdout == theirs.stdout
    assert ours.stdout.splitlines()[0] == "6"
