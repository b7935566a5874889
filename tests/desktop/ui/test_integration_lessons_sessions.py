"""Lessons, the model builder with its loss landscape, sessions (save/open round trip; opening
never runs code), autosave with recovery, and export, all through the controller."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from integration_helpers import SEED, app_fixture, make_app, run_source

from desktop import lessons
from desktop import session as sessions
from desktop.builder import default_spec

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def app(qtbot, settings, tmp_path, monkeypatch):
    yield from app_fixture(qtbot, settings, tmp_path, monkeypatch)


def test_lessons_menu_and_start_page(app, qtbot):
    window, controller = app
    window.inspector.add_watch("w.grad")
    run_source(qtbot, window, controller, SEED)
    assert window.graph_view.snapshot.nodes and window.inspector.watch_values()["w.grad"] != \
        "(run to evaluate)"
    dock = window.docks["lessons"]
    assert dock.widget() is controller.lessons_panel
    titles = [a.text() for a in controller.lessons_menu.actions() if a.text()]
    assert len([t for t in titles if t[0].isdigit()]) == len(lessons.all_lessons())
    sections = [a.text() for a in controller.lessons_menu.actions() if a.isSeparator()]
    assert sections == ["Autograd, idea by idea", "Training models"]
    # the start page: choose a lesson, "Open in editor"
    panel = controller.lessons_panel
    panel.select("graph-freed")
    panel.open_button.click()
    lesson = lessons.get("graph-freed")
    assert window.source() == lesson.code
    assert controller.state.lesson == "graph-freed"
    assert lesson.title in window.windowTitle()
    assert not window.is_modified()
    # the seed's results no longer describe the editor's code: they are gone
    assert not window.graph_view.snapshot.nodes and not window.inspector.tensors
    assert window.inspector.watch_values()["w.grad"] == "(run to evaluate)"
    assert not window.symbolic.compute.isEnabled()
    # it runs like any script and shows PyTorch's freed-graph error at its line
    result = run_source(qtbot, window, controller, window.source())
    assert result.status == "error" and "second time" in result.error.message
    assert window.editor.error_line == result.error.line is not None


def test_lesson_from_the_menu_with_the_loss_landscape(app, qtbot):
    window, controller = app
    act = next(a for a in controller.lessons_menu.actions()
               if a.text().endswith(lessons.get("linear-sgd").title))
    act.trigger()
    assert window.source() == lessons.get("linear-sgd").code
    run_source(qtbot, window, controller, window.source())
    _, ys = window.plots.loss_curve.getData()
    assert len(ys) == 60 and ys[0] == pytest.approx(3.55, abs=1e-4)  # the loss curve
    land = controller.landscape.landscape  # w, b are single numbers: a landscape is drawn
    assert land.point == pytest.approx((3.0, 0.5), abs=1e-3)
    assert land.point_loss < 1e-6
    # the path the loop took: (w, b) at each of the 60 backward() calls, then the end point
    trail = controller.landscape.trail
    assert len(trail) == 61 and trail[-1] == pytest.approx(land.point)
    assert trail[0] == pytest.approx((0.0, 0.0)) and trail[1] != trail[0]
    xs, _ = controller.landscape.path.getData()
    assert len(xs) == 61
    land = controller.landscape.landscape  # framed to hold the whole path, start included
    assert land.w[0] < 0.0 < land.w[-1] and land.b[0] < 0.0 < land.b[-1]
    assert land.point == pytest.approx((3.0, 0.5), abs=1e-3)


def test_builder_writes_code_and_shows_the_landscape(app, qtbot):
    window, controller = app
    dialog = controller.open_builder(exec_dialog=False)
    qtbot.addWidget(dialog)
    dialog.set_spec(default_spec("linear"))
    dialog.insert_button.click()
    code = window.source()
    assert code == dialog.preview.toPlainText() and "requires_grad=True" in code
    assert window.is_modified()  # new work, guarded on close
    assert controller.state.spec.two_parameter
    assert not window.docks["landscape"].isHidden()
    result = run_source(qtbot, window, controller, code)
    assert result.status == "finished"
    land = controller.landscape.landscape
    w = controller.state.namespace["w"].item()
    b = controller.state.namespace["b"].item()
    assert land.point == pytest.approx((w, b))
    assert abs(w - 2.0) < 0.2 and abs(b - 0.5) < 0.2  # trained towards the true weights
    x, y = (controller.state.namespace[k].numpy().reshape(-1) for k in "Xy")
    r = w * x + b - y
    # converged: the float64 gradient at the float32 point is rounding-sized, as by hand
    assert land.neg_grad == pytest.approx((-2 * np.mean(r * x), -2 * np.mean(r)), abs=1e-7)
    assert land.loss.min() <= land.point_loss + 1e-9 < land.loss.max()


def test_session_round_trip_and_open_never_runs(app, qtbot, tmp_path):
    window, controller = app
    marker = tmp_path / "ran.txt"
    code = f"import torch\nopen({str(marker)!r}, 'w').write('ran')\nx = torch.ones(2)\n"
    window.editor.setPlainText(code)
    window.editor.set_breakpoints({2, 3})
    window.inspector.add_watch("x.sum()")
    controller.state.lesson = "leaf-nodes"
    path = tmp_path / "work.stepgrad"
    assert controller.save_session(str(path))
    saved = sessions.load(path)
    assert saved.code == code and [b.line for b in saved.breakpoints] == [2, 3]
    assert saved.watches == ("x.sum()",) and saved.lesson == "leaf-nodes"

    window.new_file(ask=False)
    window.inspector.remove_watch("x.sum()")
    controller.state.lesson = None
    assert controller.open_session(str(path))
    qtbot.wait(200)
    assert not marker.exists() and not controller.running  # opening runs nothing
    assert window.source() == code
    assert window.editor.breakpoints == frozenset({2, 3})
    assert window.inspector.watches == ["x.sum()"]
    assert controller.state.lesson == "leaf-nodes"
    assert "work.stepgrad" in window.windowTitle()
    assert controller.current_session() == saved  # exactly what was saved

    # a truncated file: a message, and the editor keeps its text
    bad = tmp_path / "cut.stepgrad"
    bad.write_text(path.read_text()[:40])
    assert not controller.open_session(str(bad))
    assert window.source() == code
    assert "truncated" in window.statusBar().currentMessage()


def test_session_from_the_command_line_or_recent_files(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    path = tmp_path / "cli.stepgrad"
    sessions.save(sessions.Session(code="print('hi')\n", watches=("1 + 1",)), path)
    window, controller = make_app(qtbot, settings, tmp_path)
    window.open_file(str(path), ask=False)  # what Open Recent and `stepgrad FILE` do
    assert window.source() == "print('hi')\n"
    assert window.inspector.watches == ["1 + 1"]
    controller.shutdown()


def test_autosave_and_recovery(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    window, controller = make_app(qtbot, settings, tmp_path)
    assert not controller.autosave_now()  # nothing unsaved, nothing written
    window.editor.insertPlainText("w = 1  # unsaved\n")  # typed: the document is modified
    assert controller.autosave_now()
    left_behind = controller.autosave.path
    assert left_behind.exists()
    # pretend that process died: its autosave carries another (dead) pid
    dead = left_behind.with_name(f"autosave-999999999{sessions.SUFFIX}")
    left_behind.rename(dead)
    window.editor.document().setModified(False)
    controller.shutdown()

    asked = []
    window2, controller2 = make_app(qtbot, settings, tmp_path,
                                    ask=lambda title, text: asked.append(text) or True)
    qtbot.waitUntil(lambda: bool(asked), timeout=3000)  # offered as soon as the window is up
    assert len(asked) == 1 and "not run" in asked[0]
    assert window2.source() == "w = 1  # unsaved\n" and window2.is_modified()
    assert not dead.exists()  # offered once
    assert not controller2.offer_recovery()
    window2.editor.document().setModified(False)
    controller2.shutdown()
    assert not controller2.autosave.path.exists()  # a clean exit leaves no autosave


def test_export_runs_standalone_and_prints_the_apps_grads(app, qtbot, tmp_path):
    window, controller = app
    run_source(qtbot, window, controller, SEED)
    grads = {t.name: t.grad for t in window.inspector.tensors if t.grad is not None}
    out = tmp_path / "exported.py"
    assert controller.export_to(str(out), "engine")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, str(out)], capture_output=True, text=True,
                          timeout=60, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for value in grads["w"].reshape(-1):
        assert f"{value:.4f}" in proc.stdout
    torch_text = controller.export_text("torch")
    assert "import torch" in torch_text and "import engine" not in torch_text

    checked = tmp_path / "checked.py"  # File → Export as Script with Gradient Check
    assert "Gradient &Check" in controller.act_export_check.text()
    assert controller.export_to(str(checked), "engine", check=True)
    proc = subprocess.run([sys.executable, str(checked)], capture_output=True, text=True,
                          timeout=120, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = proc.stdout.split("== stepgrad: three-way gradient check ==", 1)[1]
    assert "engine, closed form and finite differences agree" in report
    engine = [float(x) for x in re.findall(r"d/dw\[0, \d\]: .*? \| engine (\S+)", report)]
    assert engine == pytest.approx(grads["w"].reshape(-1).tolist(), rel=1e-6)  # the app's


def test_sessions_join_recent_files_and_a_bad_one_changes_nothing(app, qtbot, tmp_path):
    window, controller = app
    path = tmp_path / "work.stepgrad"
    window.editor.setPlainText("import torch\nx = 1\n")
    assert controller.save_session(str(path))
    assert window.recent_files()[0] == str(path)  # Save Session puts it in Open Recent
    other = tmp_path / "other.stepgrad"
    sessions.save(sessions.Session(code="y = 2\n"), other)
    assert controller.open_session(str(other))
    assert window.recent_files()[:2] == [str(other), str(path)]

    script = tmp_path / "mine.py"
    script.write_text("keep = 1\n")
    assert window.open_file(str(script), ask=False)
    for name, content, message in [
        ("cut.stepgrad", path.read_text()[:30], "truncated"),
        ("new.stepgrad", '{"format": "stepgrad-session", "version": 99}', "newer stepgrad"),
    ]:
        bad = tmp_path / name
        bad.write_text(content)
        # Open Recent and `stepgrad FILE` go through open_file: a session is never loaded as
        # script text, so a bad one leaves the editor, its file name and the list alone
        assert not window.open_file(str(bad), ask=False)
        assert message in window.statusBar().currentMessage()
        assert window.source() == "keep = 1\n" and window.path == str(script)
        assert not window.is_modified()
        assert str(bad) not in window.recent_files()
    assert window.open_file(str(other), ask=False)
    assert window.source() == "y = 2\n" and controller.state.session_path == str(other)


def _launched_with(qtbot, settings, tmp_path, path):
    """The window and controller as `stepgrad PATH` builds them."""
    from desktop.app import create_window
    from desktop.ui.controller import install

    window = create_window(str(path), settings=settings)
    qtbot.addWidget(window)
    controller = install(window, config_dir=str(tmp_path / "config"), ask=lambda *a: False)
    return window, controller


def test_a_bad_session_on_the_command_line_leaves_an_empty_editor(qtbot, settings, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    bad = tmp_path / "cut.stepgrad"
    bad.write_text('{"format": "stepgrad-session", "code": "x')
    window, controller = _launched_with(qtbot, settings, tmp_path, bad)
    assert window.source() == "" and window.path is None  # not the file's JSON as code
    assert not window.is_modified()
    assert "truncated" in window.statusBar().currentMessage()
    assert str(bad) not in window.recent_files() and os.path.abspath(bad) not in \
        window.recent_files()  # a file that did not open is not offered again
    controller.shutdown()


def test_a_session_on_the_command_line_opens_as_a_session(qtbot, settings, tmp_path,
                                                          monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    good = tmp_path / "work.stepgrad"
    sessions.save(sessions.Session(code="x = 1\n", watches=("x",)), good)
    window, controller = _launched_with(qtbot, settings, tmp_path, good)
    assert window.source() == "x = 1\n" and window.inspector.watches == ["x"]
    assert controller.state.session_path == str(good)
    window.resize(1300, 850)
    with qtbot.waitExposed(window):
        window.show()
    qtbot.wait(50)  # the start page would be raised on the next tick
    assert window.docks["lessons"].visibleRegion().isEmpty()  # the user's code comes first
    assert str(good) in window.recent_files()
    controller.shutdown()


def test_start_page_gets_half_the_window_when_the_editor_is_empty(qtbot, settings, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    window, controller = make_app(qtbot, settings, tmp_path)
    dock = window.docks["lessons"]
    qtbot.waitUntil(lambda: dock.height() >= 0.45 * window.height(), timeout=3000)
    assert not dock.visibleRegion().isEmpty()  # raised over the other bottom panels
    controller.shutdown()


def test_other_code_in_the_editor_forgets_the_builders_model_and_its_landscape(app, qtbot,
                                                                              tmp_path):
    window, controller = app
    dialog = controller.open_builder(exec_dialog=False)
    qtbot.addWidget(dialog)
    dialog.set_spec(default_spec("logistic"))
    dialog.insert_button.click()
    run_source(qtbot, window, controller, window.source())
    assert controller.landscape.landscape is not None
    window.editor.document().setModified(False)

    lesson = lessons.get("linear-sgd")
    assert controller.open_lesson(lesson.code, lesson.id)
    assert controller.landscape.landscape is None  # it described the builder's run
    assert controller.state.spec is None
    run_source(qtbot, window, controller, window.source())
    land = controller.landscape.landscape  # the lesson's own model: linear, squared error
    assert land.point == pytest.approx((3.0, 0.5), abs=1e-3) and land.point_loss < 1e-6

    path = tmp_path / "s.stepgrad"
    sessions.save(sessions.Session(code="x = 1\n"), path)
    controller.state.spec = default_spec("linear")
    assert controller.open_session(str(path))
    assert controller.state.spec is None and controller.landscape.landscape is None


def test_landscape_follows_the_user_stepping_through_training(qtbot, settings, tmp_path,
                                                              monkeypatch):
    from dataclasses import replace

    from PySide6.QtCore import Qt

    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    window, controller = _wired_app(qtbot, settings, tmp_path)
    dialog = controller.open_builder(exec_dialog=False)
    qtbot.addWidget(dialog)
    dialog.set_spec(replace(default_spec("linear"), steps=3))
    dialog.insert_button.click()
    code = window.source()
    after_step = 2 + code.splitlines().index("    optimizer.step()")
    window.editor.set_breakpoints({after_step})
    bridge = window.debugger.bridge
    points = []
    for _ in range(3):  # F5 starts, then continues: one stop after each optimizer.step()
        with qtbot.waitSignal(bridge.paused, timeout=20000) as blocker:
            qtbot.keyClick(window.windowHandle(), Qt.Key.Key_F5)
        state = blocker.args[0]
        assert state.line == after_step
        values = {t.name: t.value for t in state.tensors}
        land = controller.landscape.landscape
        assert land.point == pytest.approx((values["w"].item(), values["b"].item()))
        points.append(land.point)
    assert len(set(points)) == 3 and controller.landscape.trail == points
    assert points[0][0] < points[1][0] < points[2][0] < 2.0  # w climbs towards the true 2
    window.editor.document().setModified(False)
    with qtbot.waitSignal(bridge.finished, timeout=20000):
        qtbot.keyClick(window.windowHandle(), Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    bridge.shutdown()
    controller.shutdown()


def _wired_app(qtbot, settings, tmp_path):
    """As desktop.app.wire builds it, before the event loop runs: the controller, then the
    debugger (whose breakpoint conditions sessions keep)."""
    from desktop.ui.controller import install
    from desktop.ui.debug_wiring import attach_debugger
    from desktop.ui.main_window import MainWindow

    window = MainWindow(settings=settings)
    qtbot.addWidget(window, before_close_func=lambda w: w.editor.document().setModified(False))
    controller = install(window, config_dir=str(tmp_path / "config"), ask=lambda *a: False)
    window.debugger = attach_debugger(window)
    window.resize(1300, 850)
    with qtbot.waitExposed(window):
        window.show()
    return window, controller


def test_breakpoint_conditions_round_trip_and_are_never_evaluated_on_open(
        qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    window, controller = _wired_app(qtbot, settings, tmp_path)
    marker = tmp_path / "ran.txt"
    condition = f"open({str(marker)!r}, 'w').write('x') > 0"
    window.editor.setPlainText("import torch\nx = 1\ny = 2\n")
    assert window.debugger.set_condition(2, condition) is None
    window.editor.toggle_breakpoint(3)
    path = tmp_path / "bp.stepgrad"
    assert controller.save_session(str(path))
    saved = sessions.load(path)
    assert [(b.line, b.condition) for b in saved.breakpoints] == [(2, condition), (3, None)]

    window.new_file(ask=False)
    assert controller.open_session(str(path))
    assert window.debugger.conditions() == {2: condition}
    assert window.editor.breakpoints == frozenset({2, 3})
    assert controller.current_session() == saved  # exactly what was saved
    assert not marker.exists()  # compiled to check it, never run
    window.debugger.bridge.shutdown()
    controller.shutdown()


def test_a_session_condition_that_does_not_compile_is_reported_and_the_breakpoint_kept(
        qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    window, controller = _wired_app(qtbot, settings, tmp_path)
    path = tmp_path / "bad-condition.stepgrad"
    sessions.save(sessions.Session(code="x = 1\ny = 2\n",
                                   breakpoints=(sessions.Breakpoint(2, "x >"),)), path)
    assert controller.open_session(str(path))
    assert window.editor.breakpoints == frozenset({2})
    assert window.debugger.conditions() == {}
    text = window.output.text.toPlainText()
    assert "Breakpoint on line 2 kept without its condition" in text and "'x >'" in text
    window.debugger.bridge.shutdown()
    controller.shutdown()


def test_sgd_lesson_landscape_follows_breakpoint_stops_without_a_run_first(
        qtbot, settings, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt

    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    window, controller = _wired_app(qtbot, settings, tmp_path)
    lesson = lessons.get("linear-sgd")
    assert controller.open_lesson(lesson.code, lesson.id)
    line = 1 + lesson.code.splitlines().index("    losses.append(loss.item())")
    window.editor.set_breakpoints({line})
    bridge = window.debugger.bridge
    points = []
    for _ in range(2):  # what the lesson's watch point promises: Continue moves the point
        with qtbot.waitSignal(bridge.paused, timeout=20000):
            qtbot.keyClick(window.windowHandle(), Qt.Key.Key_F5)
        points.append(controller.landscape.landscape.point)
    assert points[0] != points[1] and not window.docks["landscape"].isHidden()
    with qtbot.waitSignal(bridge.finished, timeout=20000):
        qtbot.keyClick(window.windowHandle(), Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    bridge.shutdown()
    controller.shutdown()
