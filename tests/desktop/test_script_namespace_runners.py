"""The app's runner, the lesson checks and `stepgrad check` share one script namespace:
``import torch.x`` for a module the engine lacks fails with one error whichever way the script
runs — the app's runner (``stepgrad run``, the debugger), ``stepgrad check``, the lesson checks
and an exported script run with plain ``python``."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.export import export_script
from desktop.lessons.check import _run_plain, run_code
from desktop.runner import ScriptRun
from desktop.torch_rewrite import engine_imports
from engine.script_namespace import engine_lacks, missing_module_error

ROOT = Path(__file__).resolve().parents[2]
MESSAGE = ("No module named 'torch.fancy' (stepgrad runs torch on its engine, which has no "
           "engine.fancy)")
LINE = f"ModuleNotFoundError: {MESSAGE}"
CODE = "x = 1\nimport torch.fancy\n"


def python(*args, timeout=120):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=env)


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "fancy.py"
    path.write_text(CODE)
    return path


def test_stepgrad_run(script):
    proc = python("-m", "desktop.cli", "run", str(script))
    assert proc.returncode == 1
    assert f'File "{script}", line 2' in proc.stderr
    assert proc.stderr.rstrip().endswith(LINE)


def test_stepgrad_check(script):
    proc = python("-m", "desktop.cli", "check", str(script))
    assert proc.returncode != 0
    assert f'File "{script}", line 2' in proc.stderr + proc.stdout
    assert LINE in proc.stderr + proc.stdout


def test_app_runner():
    result = ScriptRun(CODE, record=False).start().wait()
    assert result.status == "error"
    assert (result.error.kind, result.error.message, result.error.line) == (
        "ModuleNotFoundError", MESSAGE, 2)


@pytest.mark.parametrize("run", [run_code, _run_plain], ids=["with the app runner", "plain"])
def test_lesson_checks(run):
    outcome = run(CODE)
    assert (outcome.status, outcome.error_kind, outcome.error_message, outcome.error_line) == (
        "error", "ModuleNotFoundError", MESSAGE, 2)


@pytest.mark.parametrize("statement", ["import torch.fancy", "from torch.fancy import x",
                                       "import torch.fancy.deep as d", "import os, torch.fancy"])
def test_exported_script(tmp_path, statement):
    path = tmp_path / "exported.py"
    path.write_text(export_script(f"x = 1\n{statement}\n"))
    proc = python(str(path))
    assert proc.returncode == 1
    assert LINE in proc.stderr
    assert "engine.fancy'" not in proc.stderr  # not Python's own error about the engine module


def test_export_rewrites_modules_the_engine_has():
    code = "import torch\nimport torch.nn.functional as F\nfrom torch.nn import init\n"
    assert engine_imports(code) == ("import engine as torch\nimport engine.nn.functional as F\n"
                                    "from engine.nn import init\n")


def test_engine_lacks_names_the_first_missing_module():
    assert engine_lacks("torch.fancy.deep") == "torch.fancy"
    assert engine_lacks("torch.nn.functional") is None
    assert engine_lacks("torch") is None
    assert engine_lacks("numpy.linalg") is None  # not torch's: not the engine's to have
    err = missing_module_error("torch.fancy")
    assert isinstance(err, ModuleNotFoundError) and err.name == "torch.fancy"
    assert str(err) == MESSAGE


def test_every_runner_reports_a_missing_submodule_the_same_way(tmp_path):
    from desktop.lessons.check import _run_plain
    from desktop.runner import run_script
    from symbolic.cli import run_script as check_run_script
    from symbolic.record import CallTraceRecorder

    code = "import torch.fancy\n"
    path = tmp_path / "s.py"
    path.write_text(code)
    messages = {
        "runner": run_script(code).error.message,
        "lesson": _run_plain(code).error_message,
        "check": str(check_run_script(str(path), code, CallTraceRecorder())),
    }
    assert len(set(messages.values())) == 1, messages
