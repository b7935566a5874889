"""Complete learner-style programs, run on the engine and (where importable) on PyTorch.

Each ``NAME.py`` is written against ``import torch``; ``NAME.out`` is what PyTorch 2.13 printed
for it. ``run_on_engine`` runs one with ``import torch`` bound to the engine.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import io
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).parent


def source(name: str) -> str:
    return (HERE / f"{name}.py").read_text()


def expected(name: str) -> str:
    return (HERE / f"{name}.out").read_text()


def _engine_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and (name == "torch" or name.startswith("torch.")):
        module = importlib.import_module("engine" + name[5:])
        if fromlist:
            return module
        return importlib.import_module("engine")
    return builtins.__import__(name, globals, locals, fromlist, level)


def run_on_engine(name: str) -> str:
    script_builtins = dict(vars(builtins), __import__=_engine_import)
    namespace = {"__name__": "__main__", "__builtins__": script_builtins}
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(source(name), str(HERE / f"{name}.py"), "exec"), namespace)
    return buf.getvalue()


def run_on_torch(name: str) -> str:
    """In a fresh interpreter, so the engine's tests never share a process with torch's state."""
    done = subprocess.run([sys.executable, str(HERE / f"{name}.py")], capture_output=True,
                          text=True, timeout=120, check=True)
    return done.stdout
