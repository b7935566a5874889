"""The symbolic recorder is optional: a run goes on without it when symbolic can't be loaded."""

from __future__ import annotations

import sys
import types

from desktop.app_state import AppState, SymbolicLoader, symbolic_executor
from desktop.runner import ScriptRun

SCRIPT = ("import torch\nw = torch.ones(2, requires_grad=True)\n(w * 3).sum().backward()\n"
          "print(w.grad)\n")


def _run(loader):
    holder: dict = {}
    run = ScriptRun(SCRIPT)
    run.executor = symbolic_executor(run, holder, loader=loader)
    result = run.start().wait(30)
    state = AppState()
    state.finish_run(result, run.namespace, holder)
    return result, state


def test_a_run_records_the_calls_for_the_check():
    result, state = _run(SymbolicLoader())
    assert result.status == "finished"
    assert state.checkable and len(state.symbolic_calls) == 1


def test_without_symbolic_the_script_still_runs_and_says_why(monkeypatch):
    # as with a stale editable install, where `symbolic` is an empty namespace package whose
    # submodules import but whose __init__ (CallTraceRecorder, check_all) never ran
    empty = types.ModuleType("symbolic")
    empty.__path__ = []
    monkeypatch.setitem(sys.modules, "symbolic", empty)
    monkeypatch.setitem(sys.modules, "symbolic.custom", types.ModuleType("symbolic.custom"))
    loader = SymbolicLoader()
    result, state = _run(loader)
    assert result.status == "finished" and "tensor([3., 3.])" in result.output
    assert not state.checkable
    assert state.symbolic_note.startswith("symbolic check unavailable")
