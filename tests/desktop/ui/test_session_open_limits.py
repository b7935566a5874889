"""File → Open Session (and Open Recent, `stepgrad FILE`) of a session that cannot be read is
refused with a message and leaves the editor as it was: a number past Python's int-string
limit, more watches than the inspector takes."""

from __future__ import annotations

import pytest
from integration_helpers import app_fixture

from desktop import session as sessions


@pytest.fixture
def app(qtbot, settings, tmp_path, monkeypatch):
    yield from app_fixture(qtbot, settings, tmp_path, monkeypatch)


def test_a_session_holding_a_huge_number_is_refused_and_the_editor_kept(app, tmp_path):
    window, controller = app
    window.editor.setPlainText("kept = 1\n")
    path = tmp_path / "huge.stepgrad"
    path.write_text('{"format": "stepgrad-session", "version": 1, "code": "x = 2\\n", '
                    '"settings": {"n": ' + "9" * 5001 + "}}")
    assert controller.open_session(str(path)) is False
    assert window.open_file(str(path), ask=False) is False  # Open Recent, `stepgrad FILE`
    assert window.editor.toPlainText() == "kept = 1\n"
    assert "more than 4300 digits" in window.statusBar().currentMessage()


def test_a_session_with_too_many_watches_is_refused(app, tmp_path):
    window, controller = app
    path = tmp_path / "watches.stepgrad"
    sessions.save(sessions.Session(code="x = 2\n", watches=tuple(f"x + {i}" for i in
                                                                 range(sessions.MAX_WATCHES + 1))),
                  path)
    assert controller.open_session(str(path)) is False
    assert not window.inspector.watches and window.editor.toPlainText() != "x = 2\n"
    assert f"{sessions.MAX_WATCHES:,}" in window.statusBar().currentMessage()
