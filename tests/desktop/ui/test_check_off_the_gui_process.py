"""The check the app starts by itself after a Run is computed outside the window's process: the
window's Python then only waits on a pipe, so a debugger step served meanwhile never waits for
sympy to let go of the interpreter lock."""

from __future__ import annotations

import pytest
from integration_helpers import SEED, app_fixture, run_source

from desktop import check_process


@pytest.fixture
def app(qtbot, settings, tmp_path, monkeypatch):
    yield from app_fixture(qtbot, settings, tmp_path, monkeypatch)


def test_the_automatic_check_runs_outside_the_windows_process(app, qtbot, monkeypatch):
    window, controller = app

    def not_here(*_args, **_kwargs):
        raise AssertionError("the check ran in the window's process")

    monkeypatch.setattr(check_process, "check_calls", not_here)
    with qtbot.waitSignal(controller.symbolic_finished, timeout=60000) as blocker:
        run_source(qtbot, window, controller, SEED)
    (report,) = blocker.args[0]
    assert report.ok and report.independent.status == "agree"
    assert "The symbolic check failed" not in window.symbolic.state.text()
    assert check_process.server().child.poll() is None  # kept for the next check
