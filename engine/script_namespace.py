"""The namespace a user script runs in: ``import torch`` gets the engine, and the engine's
process-wide state starts as a fresh ``python script.py`` would see it.

Every runner of user code (the app's runner and debugger, ``stepgrad run``, ``stepgrad check``,
the lesson checks) builds its namespace here, so a script behaves the same under each of them.
Only the script's own builtins carry the mapping: ``sys.modules`` keeps the real torch, if one is
installed, for everybody else in the process.
"""

from __future__ import annotations

import builtins
import types
from collections.abc import Callable


def engine_module_name(name: str) -> str | None:
    """``"torch.nn"`` -> ``"engine.nn"``; None for a module that is not torch's."""
    if name == "torch" or name.startswith("torch."):
        return "engine" + name[5:]
    return None


def torch_import(name, globals=None, locals=None, fromlist=(), level=0):
    """``__import__`` for user scripts: ``torch[.x]`` imports ``engine[.x]``. The statement
    ``import torch.nn as nn`` binds ``engine.nn`` just as ``from torch import nn`` does."""
    mapped = engine_module_name(name) if level == 0 else None
    if mapped is None:
        return builtins.__import__(name, globals, locals, fromlist, level)
    try:
        return builtins.__import__(mapped, globals, locals, fromlist, level)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("engine"):
            raise missing_module_error("torch" + exc.name[6:]) from None
        raise


def missing_module_error(torch_name: str) -> ModuleNotFoundError:
    """The error of ``import torch.x`` for a module the engine does not have: every runner's,
    and the exported script's (which imports the engine's modules by name)."""
    return ModuleNotFoundError(
        f"No module named '{torch_name}' (stepgrad runs torch on its engine, which has"
        f" no {engine_module_name(torch_name)})", name=torch_name)


def engine_lacks(torch_name: str) -> str | None:
    """The first module of ``torch_name``'s path the engine does not have ("torch.fancy" for
    ``torch.fancy.x``), or None when the engine has it (or it is not torch's)."""
    import importlib.util

    if engine_module_name(torch_name) is None:
        return None
    parts = torch_name.split(".")
    for i in range(2, len(parts) + 1):
        try:
            found = importlib.util.find_spec(engine_module_name(".".join(parts[:i])))
        except (ImportError, ValueError):
            found = None
        if found is None:
            return ".".join(parts[:i])
    return None


def engine_modules(namespace: dict) -> dict[str, str]:
    """Names the script bound to engine modules, e.g. {"torch": "engine", "nn": "engine.nn"}."""
    return {name: value.__name__ for name, value in list(namespace.items())
            if isinstance(value, types.ModuleType)
            and (value.__name__ == "engine" or value.__name__.startswith("engine."))}


def fresh_engine_state() -> None:
    """Reset the engine's process-wide settings to what a new ``python script.py`` sees, so
    running a script twice prints the same numbers (and an exported script run outside the app
    prints the numbers the app showed): the default generator re-seeded with PyTorch's default
    seed (an unseeded ``torch.randn`` prints what a fresh PyTorch ``Generator()`` draws), float32
    default dtype, default print options, and PyTorch's once-per-process warnings armed again.
    Grad mode needs nothing: it is thread-local and each run has a new thread."""
    import engine
    from engine import printing, warn_once
    from engine.random import DEFAULT_SEED

    engine.manual_seed(DEFAULT_SEED)
    warn_once.warned.clear()
    warn_once.set_warn_always(False)
    engine.set_default_dtype(engine.float32)
    engine.set_printoptions(profile="default")
    printing.PRINT_OPTS.sci_mode = None  # not part of the "default" profile, as in PyTorch


def no_input(prompt=""):
    raise EOFError("input() is not available: stepgrad scripts have no standard input")


def new_namespace(*, map_torch: bool = True, reset_engine: bool = True,
                  print: Callable | None = None, input: Callable | None = None,
                  file: str | None = None) -> dict:
    """A fresh ``__main__`` namespace for a script. ``map_torch``: its ``import torch`` gets the
    engine (False runs it on whatever ``torch`` is importable, for oracle runs). ``print`` and
    ``input`` replace the builtins of those names when given. ``reset_engine``: call
    ``fresh_engine_state()`` first."""
    if reset_engine and map_torch:
        fresh_engine_state()
    script_builtins = dict(vars(builtins))
    if map_torch:
        script_builtins["__import__"] = torch_import
    if print is not None:
        script_builtins["print"] = print
    if input is not None:
        script_builtins["input"] = input
    namespace = {"__name__": "__main__", "__builtins__": script_builtins, "__doc__": None}
    if file is not None:
        namespace["__file__"] = file
    return namespace
