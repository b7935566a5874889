"""Crash safety as editors promise it: the editor's text is autosaved when a run starts (the
script may end the process), every window's autosave is offered back after a crash (each
into its own window), a .py save is atomic and follows symbolic links."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from integration_helpers import make_app

from desktop import session as sessions
from desktop.session import Autosave, Session

ROOT = Path(__file__).resolve().parents[3]

KILLER = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from desktop import app

    def setup(window):
        app.wire(window)
        def go():
            window.editor.setPlainText("import os\\nos._exit(7)  # typed, never saved\\n")
            window.editor.document().setModified(True)
            window.act_run.trigger()
        QTimer.singleShot(0, go)

    sys.exit(app.main([], setup=setup))
""")


def test_unsaved_text_survives_a_script_that_ends_the_process(tmp_path):
    cfg = tmp_path / "cfg"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(cfg),
               STEPGRAD_NO_DIALOGS="1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", KILLER], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 7, proc.stderr[-2000:]
    autosave_dirs = [p for p in cfg.rglob("autosave") if p.is_dir()]
    assert len(autosave_dirs) == 1, list(cfg.rglob("*"))
    found = sessions.recoverable(autosave_dirs[0])
    assert [r.load().code for r in found] == ["import os\nos._exit(7)  # typed, never saved\n"]


def test_a_debugged_run_autosaves_first_too(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    window, controller = make_app(qtbot, settings, tmp_path)
    from desktop.ui.debug_wiring import attach_debugger

    window.debugger = attach_debugger(window)
    window.editor.setPlainText("x = 1\ny = 2\n")
    window.editor.document().setModified(True)
    window.debugger._new_run()
    assert sessions.load(controller.autosave.path).code == "x = 1\ny = 2\n"
    window.editor.document().setModified(False)  # saved: nothing left to recover
    assert not controller.autosave.path.exists()
    controller.shutdown()


def dead_autosave(directory, pid, code, saved_at):
    slot = Autosave(directory, pid=pid)
    slot.save(Session(code=code))
    text = slot.path.read_text().replace('"saved_at": ', f'"saved_at": {saved_at}, "_was": ')
    slot.path.write_text(text)
    return slot.path


def test_every_autosave_is_offered_back_each_into_its_own_window(qtbot, settings, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    auto = tmp_path / "config" / "autosave"
    first = dead_autosave(auto, 999_999_991, "older window\n", 1_700_000_000)
    second = dead_autosave(auto, 999_999_992, "newer window\n", 1_700_000_100)
    asked, windows = [], []

    def factory():
        w2, c2 = make_app(qtbot, settings, tmp_path / "other")
        windows.append((w2, c2))
        return w2

    from desktop.ui.controller import Controller

    # (the window asks as soon as it is up: the factory has to be in place before)
    monkeypatch.setattr(Controller, "open_window", lambda self: factory().controller)
    window, controller = make_app(qtbot, settings, tmp_path,
                                  ask=lambda title, text: asked.append(text) or True)
    qtbot.waitUntil(lambda: len(asked) == 2, timeout=5000)
    assert "2 autosaves" in asked[0]
    assert window.source() == "newer window\n" and window.is_modified()
    [(w2, c2)] = windows
    assert w2.source() == "older window\n" and w2.is_modified()
    assert not first.exists() and not second.exists()
    # each recovered text is autosaved again, now by its new window
    assert sessions.load(controller.autosave.path).code == "newer window\n"
    assert sessions.load(c2.autosave.path).code == "older window\n"
    for w, c in ((window, controller), (w2, c2)):
        w.editor.document().setModified(False)
        c.shutdown()


def test_a_declined_autosave_is_dropped_and_the_next_one_still_offered(qtbot, settings, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    auto = tmp_path / "config" / "autosave"
    dead_autosave(auto, 999_999_993, "declined\n", 1_700_000_200)
    dead_autosave(auto, 999_999_994, "wanted\n", 1_700_000_000)
    answers = iter([False, True])
    window, controller = make_app(qtbot, settings, tmp_path,
                                  ask=lambda title, text: next(answers))
    qtbot.waitUntil(lambda: window.source() == "wanted\n", timeout=5000)
    assert sessions.recoverable(auto) == []
    window.editor.document().setModified(False)
    controller.shutdown()


def test_two_windows_of_one_process_autosave_apart(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    w1, c1 = make_app(qtbot, settings, tmp_path)
    w2, c2 = make_app(qtbot, settings, tmp_path)
    for w, text in ((w1, "one\n"), (w2, "two\n")):
        w.editor.setPlainText(text)
        w.editor.document().setModified(True)
    assert c1.autosave_now() and c2.autosave_now()
    assert sessions.load(c1.autosave.path).code == "one\n"
    assert sessions.load(c2.autosave.path).code == "two\n"
    for w, c in ((w1, c1), (w2, c2)):
        w.editor.document().setModified(False)
        c.shutdown()


def test_saving_a_script_is_atomic_and_follows_a_link(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    window, controller = make_app(qtbot, settings, tmp_path)
    real = tmp_path / "src" / "model.py"
    real.parent.mkdir()
    real.write_text("original\n" * 2000)
    link = tmp_path / "model_link.py"
    link.symlink_to(real)
    window.editor.setPlainText("edited\n")
    assert window.save_to(str(link))
    assert link.is_symlink() and real.read_text() == "edited\n"

    warnings = []
    monkeypatch.setattr("desktop.ui.main_window.QMessageBox.warning",
                        lambda *a: warnings.append(a[2]))
    real_fdopen = os.fdopen

    def full_disk(*a, **k):
        f = real_fdopen(*a, **k)

        class Full:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return f.__exit__(*exc)

            def __getattr__(self, name):
                return getattr(f, name)

            def write(self, data):
                f.write(data[:10])
                raise OSError(errno.ENOSPC, "No space left on device")

        return Full()

    monkeypatch.setattr(os, "fdopen", full_disk)
    window.editor.setPlainText("a much longer replacement\n" * 500)
    assert not window.save_to(str(real))
    monkeypatch.undo()
    assert real.read_text() == "edited\n"  # not a partial file
    assert warnings and "No space" in warnings[0]
    assert sorted(p.name for p in real.parent.iterdir()) == ["model.py"]
    window.editor.document().setModified(False)
    controller.shutdown()


@pytest.fixture(autouse=True)
def _no_real_dialogs(monkeypatch):
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
