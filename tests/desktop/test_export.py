"""Exported scripts: run with plain python in a subprocess and print what the app computed."""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from desktop import export, lessons
from desktop.builder import default_spec, generate_code
from desktop.export import REPORT_HEADER, engine_imports, export_script, export_session
from desktop.runner import run_script
from desktop.session import Breakpoint, Session, save

LESSONS = lessons.all_lessons()
REPO = Path(__file__).resolve().parents[2]


def run_python(path, cwd):
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def parse_report(stdout: str) -> dict[str, str]:
    """{"w": "tensor([[2., -1.]])", "w.grad": "tensor(...)", ...} from the printed report."""
    section = stdout.split(REPORT_HEADER, 1)[1].split("\n== ", 1)[0]
    section = re.sub(r"^(\S+: shape=|watch ).*\n", "", section, flags=re.M)
    parts = re.split(r"^(\S+?) = ", section, flags=re.M)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}


def numbers(text: str) -> np.ndarray:
    text = re.sub(r", (dtype|size|grad_fn|requires_grad)=.*", "", text, flags=re.S)
    found = re.findall(r"[-+]?(?:inf|nan|\d+\.?\d*(?:e[-+]?\d+)?)", text)
    return np.array([float(x) for x in found])


def assert_printed_matches(printed: str, value) -> None:
    if value is None:
        assert printed == "None"
        return
    got = numbers(printed)
    want = np.asarray(value, dtype=np.float64).ravel()
    assert "..." not in printed
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4, err_msg=printed)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_exported_lesson_prints_the_values_and_grads_the_app_computed(lesson, tmp_path):
    app = run_script(lesson.code)  # the app's own run: its inspector shows app.tensors
    script = tmp_path / "lesson.py"
    script.write_text(export_session(Session(code=lesson.code, lesson=lesson.id)), "utf-8")
    proc = run_python(script, tmp_path)
    if app.status == "error":
        assert proc.returncode == 1
        assert app.error.message in proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr
        address = re.compile(r"0x[0-9a-f]+")  # object reprs differ between processes
        assert address.sub("0x", app.output) in address.sub("0x", proc.stdout)
    report = parse_report(proc.stdout)
    shown = {info.name: info for info in app.tensors}
    assert {k for k in report if not k.endswith(".grad")} == set(shown)
    for name, info in shown.items():
        assert_printed_matches(report[name], info.value)
        assert_printed_matches(report[f"{name}.grad"], info.grad)


@pytest.mark.torch
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_pytorch_export_prints_the_same_numbers_on_real_torch(lesson, tmp_path):
    # random lessons too: the engine draws PyTorch's random numbers from the same seed
    pytest.importorskip("torch")
    session = Session(code=lesson.code, lesson=lesson.id)
    on_engine = tmp_path / "engine_version.py"
    on_torch = tmp_path / "torch_version.py"
    on_engine.write_text(export_session(session), "utf-8")
    on_torch.write_text(export_session(session, backend="torch"), "utf-8")
    assert "import engine" not in on_torch.read_text()
    a, b = run_python(on_engine, tmp_path), run_python(on_torch, tmp_path)
    assert a.returncode == b.returncode, (a.stderr, b.stderr)
    ra, rb = parse_report(a.stdout), parse_report(b.stdout)
    assert ra.keys() == rb.keys()
    for key in ra:
        if ra[key] == "None" or rb[key] == "None":
            assert ra[key] == rb[key], key
        else:
            np.testing.assert_allclose(numbers(ra[key]), numbers(rb[key]), rtol=1e-3,
                                       atol=1e-4, err_msg=key)


@pytest.mark.torch
def test_builder_code_exported_for_torch_runs_on_real_torch(tmp_path):
    pytest.importorskip("torch")
    script = tmp_path / "model.py"
    script.write_text(export_script(generate_code(default_spec("logistic")), backend="torch"))
    proc = run_python(script, tmp_path)
    assert proc.returncode == 0, proc.stderr
    accuracy = float(re.search(r"accuracy: ([\d.]+)", proc.stdout).group(1))
    assert accuracy >= 0.9
    assert parse_report(proc.stdout)["w.grad"] != "None"


def test_watches_are_printed_after_the_tensors(tmp_path):
    code = "import torch\nx = torch.tensor(3.0, requires_grad=True)\n(x * x).backward()\n"
    script = tmp_path / "w.py"
    script.write_text(export_session(Session(code=code, watches=("x.grad * 10", "nope"))))
    out = run_python(script, tmp_path).stdout
    assert "watch x.grad * 10 = tensor(60.)" in out
    assert "watch nope -> NameError: name 'nope' is not defined" in out
    assert parse_report(out)["x.grad"] == "tensor(6.)"


def test_check_option_appends_the_three_way_report(tmp_path):
    pytest.importorskip("sympy")
    script = tmp_path / "c.py"
    script.write_text(export_session(Session(code=lessons.get("leaf-nodes").code), check=True))
    proc = run_python(script, tmp_path)
    assert proc.returncode == 0, proc.stderr
    tail = proc.stdout.split("== stepgrad: three-way gradient check ==", 1)[1]
    assert "engine, closed form and finite differences agree" in tail
    assert re.search(r"d/dw\[0, 0\]: .* = -13\.33333\d* \| engine -13\.3333", tail)
    with pytest.raises(ValueError, match="three-way check runs on stepgrad's engine"):
        export_script("x = 1", backend="torch", check=True)


@pytest.mark.parametrize(("source", "expected"), [
    ("import torch\n", "import engine as torch\n"),
    ("import torch as T  # short\n", "import engine as T  # short\n"),
    ("import torch.nn as nn\n", "import engine.nn as nn\n"),
    ("import torch.nn\n", "import engine as torch, engine.nn\n"),
    ("import numpy as np, torch\n", "import numpy as np, engine as torch\n"),
    ("from torch import nn, optim\n", "from engine import nn, optim\n"),
    ("from torch.autograd import (\n    Function,\n)\n",
     "from engine.autograd import (\n    Function,\n)\n"),
    ("def f():\n    import torch.nn.functional as F\n    return F\n",
     "def f():\n    import engine.nn.functional as F\n    return F\n"),
    ("import torchvision\nx = 'import torch'\n", "import torchvision\nx = 'import torch'\n"),
    ("s = 'é'; import torch; y = 1\n", "s = 'é'; import engine as torch; y = 1\n"),
    ("import torch, \\\n    numpy\nx = 1\n", "import engine as torch, numpy\n\nx = 1\n"),
    ("import torch\nthis is not python\n", "import engine as torch\nthis is not python\n"),
])
def test_engine_imports_rewrite_only_torch_imports(source, expected):
    assert engine_imports(source) == expected


def test_export_writes_text_and_never_runs_the_session(tmp_path):
    target = tmp_path / "pwned.txt"
    path = tmp_path / "evil.stepgrad"
    code = f"open({str(target)!r}, 'w').write('ran')\n"
    save(Session(code=code, breakpoints=(Breakpoint(1),)), path)
    out = tmp_path / "evil.py"
    assert export.main([str(path), "-o", str(out)]) == 0
    assert not target.exists()
    text = out.read_text()
    assert code in text and "Breakpoints in the session (ignored here): line 1." in text
    run_python(out, tmp_path)  # running the exported script is the user's explicit choice
    assert target.read_text() == "ran"


def test_main_exports_sessions_and_scripts(tmp_path, capsys):
    session = tmp_path / "s.stepgrad"
    lesson = lessons.get("second-derivative")
    save(Session(code=lesson.code, lesson=lesson.id), session)
    out = tmp_path / "s.py"
    assert export.main([str(session), "-o", str(out), "--torch"]) == 0
    text = out.read_text()
    assert text.startswith('"""Lesson: Second derivatives') and "import torch\n" in text
    assert "wrote" in capsys.readouterr().out

    script = tmp_path / "plain.py"
    script.write_text("import torch\nprint(torch.ones(2).sum())\n")
    assert export.main([str(script)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith('"""plain.py (exported from stepgrad).')
    assert "import engine as torch" in printed


@pytest.mark.parametrize(("content", "message"), [
    ('{"format": "stepgrad-session", "version": 9}', "newer stepgrad"),
    ('{"format": "stepgrad-session", "ver', "truncated"),
])
def test_main_rejects_bad_sessions_with_a_message(tmp_path, capsys, content, message):
    bad = tmp_path / "bad.stepgrad"
    bad.write_text(content)
    assert export.main([str(bad), "-o", str(tmp_path / "x.py")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.py").exists()
    assert export.main([str(tmp_path / "missing.stepgrad")]) == 2


def test_stepgrad_command_dispatches_export(tmp_path):
    session = tmp_path / "s.stepgrad"
    save(Session(code="import torch\nx = torch.ones(2, requires_grad=True)\nx.sum().backward()\n"),
         session)
    out = tmp_path / "s.py"
    proc = subprocess.run([sys.executable, "-m", "desktop.cli", "export", str(session), "-o",
                           str(out)], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    result = run_python(out, tmp_path)
    assert parse_report(result.stdout)["x.grad"] == "tensor([1., 1.])"


def test_exported_script_finds_stepgrad_from_anywhere(tmp_path):
    script = tmp_path / "elsewhere" / "t.py"
    script.parent.mkdir()
    script.write_text(export_script(textwrap.dedent("""\
        import torch
        from torch import nn
        layer = nn.Linear(2, 1)
        layer(torch.ones(1, 2)).sum().backward()
        print(type(layer.weight).__module__)
    """)))
    proc = run_python(script, script.parent)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("engine")
    report = parse_report(proc.stdout)
    assert report["layer.bias.grad"] == "tensor([1.])"
    assert report["layer.weight.grad"] == "tensor([[1., 1.]])"


def test_exported_script_holds_nothing_of_the_exporting_machine(tmp_path):
    code = "import torch\nx = torch.ones(2, requires_grad=True)\n(x * 3).sum().backward()\n"
    home = str(Path.home())
    for check in (False, True):
        text = export_script(code, check=check, title="t.py")
        for local in (str(REPO), str(REPO.resolve()), str(Path(export.__file__).parent), home):
            assert local not in text
        assert "sys.path.insert" not in text
    # and it runs from an unrelated folder with this python, the engine imported as installed
    script = tmp_path / "far" / "away.py"
    script.parent.mkdir()
    script.write_text(export_script(code))
    proc = run_python(script, script.parent)
    assert proc.returncode == 0, proc.stderr
    assert parse_report(proc.stdout)["x.grad"] == "tensor([3., 3.])"


def test_exported_script_without_the_engine_says_how_to_run_it(tmp_path):
    script = tmp_path / "t.py"
    script.write_text(export_script("import torch\nprint('ran the code')\n"))
    # -S -E: no site-packages and no PYTHONPATH, so neither stepgrad nor numpy is importable
    proc = subprocess.run([sys.executable, "-S", "-E", str(script)], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 1
    assert "ran the code" not in proc.stdout and "Traceback" not in proc.stderr
    assert "No module named 'engine'" in proc.stderr
    assert "pip install stepgrad" in proc.stderr and "stepgrad run FILE" in proc.stderr
    assert export_script("import torch\n", backend="torch").count("engine") == 0


def test_check_export_of_a_long_training_loop_is_bounded(tmp_path):
    pytest.importorskip("sympy")
    import resource

    code = textwrap.dedent("""\
        import torch
        torch.manual_seed(0)
        X = torch.randn(16, 2)
        y = X[:, :1] * 2 - X[:, 1:]
        W = torch.randn(2, 4, requires_grad=True)
        v = torch.randn(4, 1, requires_grad=True)
        opt = torch.optim.SGD([W, v], lr=0.05)
        for step in range(1000):
            opt.zero_grad()
            loss = ((torch.tanh(X @ W) @ v - y) ** 2).mean()
            loss.backward()
            opt.step()
    """)
    script = tmp_path / "loop.py"
    script.write_text(export_script(code, check=True, check_first=2, check_last=1))
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    proc = run_python(script, tmp_path)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before
    assert proc.returncode == 0, proc.stderr
    tail = proc.stdout.split("== stepgrad: three-way gradient check ==", 1)[1]
    assert re.findall(r"^checking (\d) of 3: call (\d+):", tail, re.M) == [
        ("1", "1"), ("2", "2"), ("3", "1000")]
    assert tail.count("finite differences agree") == 3
    assert "checked 3 of 1000 backward()/autograd.grad() calls (3 agree, 0 disagree); " \
           "skipped 997 (only the first 2 and the last 1 are checked)" in tail
    assert len(tail.splitlines()) < 80
    assert cpu < 60  # CPU seconds of the script (checking all 1000 calls took minutes)

    script.write_text(export_script(code, check=True, check_first=0, check_last=2))
    tail = run_python(script, tmp_path).stdout.split("gradient check ==", 1)[1]
    assert re.findall(r"^checking \d of 2: call (\d+):", tail, re.M) == ["999", "1000"]
    assert "skipped 998" in tail
    with pytest.raises(ValueError, match="must be >= 0"):
        export_script(code, check=True, check_last=-1)


def test_check_of_a_script_without_backward_says_so(tmp_path):
    script = tmp_path / "n.py"
    script.write_text(export_script("import torch\nx = torch.ones(2)\n", check=True))
    out = run_python(script, tmp_path).stdout
    assert "no backward() or autograd.grad() call to check" in out and "checked 0" not in out


def test_main_passes_the_calls_to_check(tmp_path):
    source = tmp_path / "s.py"
    source.write_text("import torch\n")
    out = tmp_path / "o.py"
    assert export.main([str(source), "-o", str(out), "--check", "--check-first", "4",
                        "--check-last", "3"]) == 0
    assert "FirstLastRecorder(first=4, last=3)" in out.read_text()
