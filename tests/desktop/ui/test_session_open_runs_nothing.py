"""Opening a session (File → Open Session, Open Recent, recovery) evaluates nothing from it,
whatever ran before: a crafted watch expression must never get a namespace to run in."""

from __future__ import annotations

import pytest
from integration_helpers import SEED, app_fixture, run_source

from desktop import session as sessions


@pytest.fixture
def app(qtbot, settings, tmp_path, monkeypatch):
    yield from app_fixture(qtbot, settings, tmp_path, monkeypatch)


def crafted(tmp_path, n_watches: int = 1):
    marker = tmp_path / "pwned"
    payload = f"__import__('pathlib').Path({str(marker)!r}).write_text('ran')"
    watches = [payload] + [f"{payload} or {i}" for i in range(n_watches - 1)]
    path = tmp_path / "crafted.stepgrad"
    sessions.save(sessions.Session(code="x = 1\n", watches=tuple(watches)), path)
    return path, marker


def test_opening_a_session_after_a_run_does_not_evaluate_its_watches(app, qtbot, tmp_path):
    window, controller = app
    run_source(qtbot, window, controller, SEED)  # the last run's namespace exists
    path, marker = crafted(tmp_path)
    assert controller.open_session(str(path))
    qtbot.wait(400)  # a watch is evaluated off the GUI thread: give it every chance
    assert not marker.exists()
    assert list(window.inspector.watch_values().values()) == ["(run to evaluate)"]


def test_open_recent_after_a_run_does_not_evaluate_its_watches(app, qtbot, tmp_path):
    window, controller = app
    run_source(qtbot, window, controller, SEED)
    path, marker = crafted(tmp_path)
    window.open_file(str(path), ask=False)  # Open Recent and `stepgrad FILE` take this path
    qtbot.wait(400)
    assert window.inspector.watches and not marker.exists()


def test_opening_a_session_while_a_script_runs_stops_it_and_drops_its_namespace(
        app, qtbot, tmp_path):
    window, controller = app
    window.editor.setPlainText("import time\nfor _ in range(200):\n    time.sleep(0.01)\n")
    window.act_run.trigger()
    qtbot.waitUntil(lambda: controller.running, timeout=5000)
    old_run = controller.run
    path, marker = crafted(tmp_path)
    assert controller.open_session(str(path))
    assert not controller.running and not window.running
    assert old_run.wait(5) is not None  # it ended; its result is not shown
    qtbot.wait(400)
    assert not marker.exists()
    assert controller.state.result is None
    # the session's code runs when the user asks: then the watch is theirs to evaluate
    result = run_source(qtbot, window, controller, "y = 2\n")
    assert result.status == "finished"


def test_a_sessions_watches_are_added_in_one_pass(app, qtbot, tmp_path):
    window, controller = app
    run_source(qtbot, window, controller, SEED)
    path, marker = crafted(tmp_path, n_watches=300)
    changes = []
    window.inspector.watches_changed.connect(changes.append)
    assert controller.open_session(str(path))
    assert len(window.inspector.watches) == 300
    assert len(changes) == 1  # not one (quadratic) update per watch
    qtbot.wait(200)
    assert not marker.exists()


def test_no_string_field_of_a_session_runs_on_open_export_or_recovery(app, qtbot, tmp_path):
    from desktop.ui.debug_wiring import attach_debugger

    window, controller = app
    window.debugger = attach_debugger(window)
    run_source(qtbot, window, controller, SEED)
    marker = tmp_path / "pwned"
    act = f"__import__('pathlib').Path({str(marker)!r}).write_text('ran')"
    evil = f'x"""\n{act}\n"""'
    s = sessions.Session(code=f"# {act}\nx = 1\n", watches=(act, evil),
                         breakpoints=(sessions.Breakpoint(2, act),), lesson=evil,
                         settings={"theme": act, act: [evil]})
    path = tmp_path / "every_field.stepgrad"
    sessions.save(s, path)
    assert controller.open_session(str(path))
    text = controller.export_text("engine")  # generating an export runs nothing either
    assert controller.export_to(str(tmp_path / "out.py"))
    controller.apply_session(sessions.load(path), modified=True)  # what recovery does
    qtbot.wait(400)
    assert not marker.exists()
    import ast

    assert evil in ast.get_docstring(ast.parse(text), clean=False)
    assert window.editor.breakpoints == frozenset({2})
