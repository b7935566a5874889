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


def test_run_missing_file():
    assert cli.main(["run", "/no/such/file.py"]) == 2


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
