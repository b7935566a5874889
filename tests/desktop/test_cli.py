"""desktop.cli: headless `stepgrad run` in a subprocess, dispatch to the GUI and subcommands."""

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from seed_programs import SEED_LINEAR as SEED

from desktop import cli

ROOT = Path(__file__).resolve().parents[2]


def stepgrad(*args, timeout=60):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "desktop.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env=env)


def test_run_prints_script_output(tmp_path):
    script = tmp_path / "seed.py"
    script.write_text(SEED)
    proc = stepgrad("run", str(script))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("tensor([[") and proc.stdout.count("tensor(") == 2


def test_run_error_exit_code_and_message(tmp_path):
    script = tmp_path / "bad.py"
    script.write_text(SEED + "loss.backward()\n")
    proc = stepgrad("run", str(script))
    assert proc.returncode == 1
    assert "tensor([[" in proc.stdout  # output before the error still printed
    assert f'File "{script}", line 10' in proc.stderr
    assert "RuntimeError: Trying to backward through the graph a second time" in proc.stderr


def test_run_graph_listing_and_time_limit(tmp_path):
    script = tmp_path / "seed.py"
    script.write_text(SEED)
    proc = stepgrad("run", "--graph", str(script))
    assert proc.returncode == 0, proc.stderr
    assert "MeanBackward0 loss [] line 7" in proc.stdout
    loop = tmp_path / "loop.py"
    loop.write_text("while True:\n    pass\n")
    proc = stepgrad("run", "--max-seconds", "0.5", str(loop))
    assert proc.returncode == 1 and "time limit" in proc.stderr


def test_run_passes_argv_and_imports_neighbours(tmp_path):
    (tmp_path / "helper.py").write_text("VALUE = 42\n")
    script = tmp_path / "main.py"
    script.write_text("import sys\nimport helper\nprint(sys.argv[1:], helper.VALUE)\n")
    proc = stepgrad("run", str(script), "a", "--b")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "['a', '--b'] 42\n"


def test_run_missing_file(capsys):
    assert cli.main(["run", "/no/such/file.py"]) == 2
    assert "cannot read /no/such/file.py: No such file" in capsys.readouterr().err


def test_run_a_session_runs_its_code(tmp_path):
    from desktop.session import Session, save

    path = tmp_path / "work.stepgrad"
    save(Session(code="import torch\nx = torch.tensor(3.0, requires_grad=True)\n"
                      "(x * x).backward()\nprint(x.grad)\n"), path)
    proc = stepgrad("run", str(path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "tensor(6.)\n"


BAD_SESSION = '{"format": "stepgrad-session", "version": 1, "code": "x = 1'
FUTURE = '{"format": "stepgrad-session", "version": 99}'


@pytest.mark.parametrize(("args", "files", "code", "message"), [
    (["run", "missing.py"], {}, 2, "stepgrad run: cannot read missing.py: No such file"),
    (["run", "bin.py"], {"bin.py": b"\xff\xfe x"}, 2, "bin.py: byte 0 is not UTF-8 text"),
    (["run", "dir.py"], {"dir.py": None}, 2, "cannot read dir.py: Is a directory"),
    (["run", "cut.stepgrad"], {"cut.stepgrad": BAD_SESSION}, 2, "looks truncated"),
    (["run", "new.stepgrad"], {"new.stepgrad": FUTURE}, 2, "saved by a newer stepgrad"),
    (["run"], {}, 2, "the following argument is required: file\n"),
    (["run", "raise.py"], {"raise.py": "x = 1\nraise ValueError('boom')\n"}, 1,
     'raise.py", line 2'),
    (["run", "syntax.py"], {"syntax.py": "x = (\n"}, 1, "SyntaxError: '(' was never closed"),
    (["export", "missing.stepgrad", "-o", "o.py"], {}, 2, "cannot open missing.stepgrad"),
    (["export", "cut.stepgrad", "-o", "o.py"], {"cut.stepgrad": BAD_SESSION}, 2,
     "looks truncated"),
    (["export", "new.stepgrad"], {"new.stepgrad": FUTURE}, 2, "Update stepgrad to open it"),
    (["export", "junk.stepgrad"], {"junk.stepgrad": "[1, 2]"}, 2, "not a stepgrad session"),
    (["export", "bin.py"], {"bin.py": b"\xff\xfe x"}, 2, "bin.py: byte 0 is not UTF-8 text"),
    (["export", "ok.py", "-o", "no/such/dir/o.py"], {"ok.py": "x = 1\n"}, 2,
     "cannot write no/such/dir/o.py"),
    (["export", "ok.py", "--torch", "--check"], {"ok.py": "x = 1\n"}, 2,
     "export for the engine to include it"),
    (["check", "missing.py"], {}, 2, "stepgrad check: cannot read missing.py"),
    (["check", "raise.py"], {"raise.py": "x = 1\nraise ValueError('boom')\n"}, 2,
     "ValueError: boom"),
    (["check", "bin.py"], {"bin.py": b"\xff\xfe x"}, 2, "stepgrad check: cannot read bin.py"),
])
def test_bad_input_gets_a_message_and_a_nonzero_exit_without_our_traceback(
        tmp_path, args, files, code, message):
    for name, content in files.items():
        if content is None:
            (tmp_path / name).mkdir()
        elif isinstance(content, bytes):
            (tmp_path / name).write_bytes(content)
        else:
            (tmp_path / name).write_text(content)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "desktop.cli", *args], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path, env=env)
    assert proc.returncode == code, proc.stderr
    assert message in proc.stderr
    assert str(ROOT) not in proc.stderr  # a traceback, if any, is of the user's script only
    assert not (tmp_path / "o.py").exists()


def test_help(capsys):
    assert cli.main(["--help"]) == 0
    assert "stepgrad run FILE.py" in capsys.readouterr().out


def test_gui_dispatch(monkeypatch):
    calls = []
    fake = types.ModuleType("desktop.app")
    fake.main = lambda argv: calls.append(list(argv)) or 0
    monkeypatch.setitem(sys.modules, "desktop.app", fake)
    assert cli.main([]) == 0
    assert cli.main(["model.py"]) == 0
    assert calls == [[], ["model.py"]]


def test_subcommand_dispatch(monkeypatch):
    calls = []
    fake = types.ModuleType("desktop.export")
    fake.main = lambda argv: calls.append(list(argv)) or 3
    monkeypatch.setitem(sys.modules, "desktop.export", fake)
    assert cli.main(["export", "s.stepgrad", "-o", "out.py"]) == 3
    assert calls == [["s.stepgrad", "-o", "out.py"]]


def test_missing_subcommand_module(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "symbolic.cli", None)  # import raises ModuleNotFoundError
    assert cli.main(["check", "x.py"]) == 2
    assert "not available" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["run"]])
def test_run_usage_error(argv):
    with pytest.raises(SystemExit):
        cli.main(argv)


@pytest.mark.parametrize(("body", "code", "stderr"), [
    ("sys.exit(3)", 3, ""),
    ("sys.exit('fatal: bad config')", 1, "fatal: bad config\n"),
    ("sys.exit(0)", 0, ""),
])
def test_run_ends_with_the_scripts_exit_status_as_python_does(tmp_path, body, code, stderr):
    script = tmp_path / "leave.py"
    script.write_text(f"import sys\nprint('before')\n{body}\nprint('never')\n")
    proc = stepgrad("run", str(script))
    assert (proc.returncode, proc.stdout, proc.stderr) == (code, "before\n", stderr)


def test_a_relative_script_is_named_as_python_names_it(tmp_path):
    (tmp_path / "where.py").write_text(
        "import warnings\nprint(__file__)\nwarnings.warn('look')\nraise ValueError('boom')\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    ours = subprocess.run([sys.executable, "-m", "desktop.cli", "run", "where.py"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env)
    python = subprocess.run([sys.executable, "where.py"], capture_output=True, text=True,
                            timeout=60, cwd=tmp_path)
    path = str(tmp_path / "where.py")
    assert ours.stdout == python.stdout == path + "\n"
    assert f"{path}:3: UserWarning: look" in ours.stderr
    assert f"{path}:3: UserWarning: look" in python.stderr
    assert f'File "{path}", line 4' in ours.stderr and f'File "{path}", line 4' in python.stderr
