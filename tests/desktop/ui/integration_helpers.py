"""Shared pieces of the integration tests: a window with its controller, and waiting for runs.
(Not a test module; imported by the test_integration_* files.)"""

from __future__ import annotations

from seed_programs import SEED_LINEAR as SEED

from desktop.ui.controller import install
from desktop.ui.main_window import MainWindow

__all__ = ["SEED", "app_fixture", "make_app", "run_source"]


def make_app(qtbot, settings, tmp_path, ask=None):
    window = MainWindow(settings=settings)
    # never let the unsaved-changes guard open a modal dialog at teardown
    qtbot.addWidget(window, before_close_func=lambda w: w.editor.document().setModified(False))
    controller = install(window, config_dir=str(tmp_path / "config"),
                         ask=ask or (lambda _title, _text: False))
    window.resize(1300, 850)
    with qtbot.waitExposed(window):
        window.show()
    return window, controller


def run_source(qtbot, window, controller, source: str, timeout: int = 20000):
    """Put ``source`` in the editor, press Run, wait until the result is shown everywhere."""
    window.editor.setPlainText(source)
    with qtbot.waitSignal(controller.run_finished, timeout=timeout) as blocker:
        window.act_run.trigger()
    # the app lays the graph out in a worker: its boxes come a moment later
    qtbot.waitUntil(lambda: not window.graph_view.laying_out, timeout=timeout)
    return blocker.args[0]


def app_fixture(qtbot, settings, tmp_path, monkeypatch):
    """The body of each test module's ``app`` fixture: (window, controller)."""
    monkeypatch.setenv("STEPGRAD_NO_DIALOGS", "1")
    window, controller = make_app(qtbot, settings, tmp_path)
    yield window, controller
    controller.shutdown()
    if controller.run is not None:
        controller.run.wait(3)
    window.editor.document().setModified(False)
