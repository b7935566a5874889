"""A finished Run is freed by reference counting: its callbacks close over it, and that cycle
would keep it, its namespace and the script's whole graph alive until a collection, which the
app runs on the GUI thread (tens of ms of frozen window for a 1,000-node graph)."""

from __future__ import annotations

import gc
import weakref

import pytest
from integration_helpers import app_fixture

SOURCE = """\
import torch
w = torch.ones(3, requires_grad=True)
h = w
for i in range(50):
    h = torch.tanh(h) * 0.5 + w
loss = h.sum()
loss.backward()
"""


@pytest.fixture
def app(qtbot, settings, tmp_path, monkeypatch):
    yield from app_fixture(qtbot, settings, tmp_path, monkeypatch)


def test_a_finished_run_is_freed_without_a_collection(app, qtbot, monkeypatch):
    window, controller = app
    # the GUI's collector still ticks, but collects nothing: only reference counting frees
    monkeypatch.setattr(gc, "collect", lambda generation=2: 0)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        window.editor.setPlainText(SOURCE)
        with qtbot.waitSignal(controller.run_finished, timeout=20000):
            window.act_run.trigger()
            run = controller.run
            assert run is not None
            run_ref = weakref.ref(run)
            del run
        qtbot.waitUntil(lambda: not window.graph_view.laying_out, timeout=20000)
        assert "loss" in controller.state.namespace  # its namespace stays, for the inspector
        qtbot.waitUntil(lambda: run_ref() is None, timeout=5000)
    finally:
        if was_enabled:
            gc.enable()
