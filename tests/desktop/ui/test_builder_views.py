"""The builder's views in the app: the classifier's decision boundary panel after a run, the
loss landscape's empty state and colour bar, and both emptied when the program changes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from integration_helpers import app_fixture

from desktop.builder import default_spec, generate_code, loss_landscape
from desktop.ui.landscape import EMPTY_CAPTION, LandscapeView


@pytest.fixture
def app(qtbot, settings, tmp_path, monkeypatch):
    yield from app_fixture(qtbot, settings, tmp_path, monkeypatch)


def test_a_classifier_run_shows_its_decision_boundary(app, qtbot):
    window, controller = app
    spec = replace(default_spec("classifier"), dataset="blobs", steps=300)
    controller.set_spec(spec)
    assert controller.insert_generated_code(generate_code(spec))
    with qtbot.waitSignal(controller.run_finished, timeout=60000) as blocker:
        window.act_run.trigger()
    assert blocker.args[0].status == "finished"
    view = controller.boundary
    assert view is not None and view.boundary is not None
    assert not window.docks["boundary"].visibleRegion().isEmpty()  # raised in front
    b = view.boundary
    assert b.points.shape == (spec.samples, 2) and b.accuracy >= 0.9
    assert "accuracy" in view.caption.text()
    controller.clear_results()
    assert view.boundary is None and view.plot.isHidden()


def test_the_landscape_starts_empty_and_has_a_colour_scale(qtbot):
    view = LandscapeView()
    qtbot.addWidget(view)
    view.show()
    assert view.plot.isHidden() and view.caption.text() == EMPTY_CAPTION
    x = np.array([-1.0, 0.0, 1.0, 2.0])
    land = loss_landscape(x, 2 * x + 1, 0.0, 0.0)
    view.set_landscape(land)
    assert not view.plot.isHidden()
    lo, hi = view.colorbar.levels()
    shown = np.log1p(land.loss)
    assert lo == pytest.approx(shown.min()) and hi == pytest.approx(shown.max())
    view.clear()
    assert view.plot.isHidden() and view.caption.text() == EMPTY_CAPTION


def test_the_builder_previews_the_data_its_code_trains_on(qtbot):
    from desktop.builder import preview_data
    from desktop.lessons.check import run_code
    from desktop.ui.builder_dialog import BuilderDialog

    dialog = BuilderDialog(spec=default_spec("classifier"))
    qtbot.addWidget(dialog)
    X, y = dialog.data_preview.shown
    assert X.shape == (200, 2) and "class 0" in dialog.data_preview.caption.text()
    ns = run_code(generate_code(dialog.spec())).namespace  # the very numbers of the script
    np.testing.assert_array_equal(X, ns["X"].numpy())
    np.testing.assert_array_equal(y, ns["y"].numpy())
    dialog.set_spec(default_spec("poly"))
    X, y = dialog.data_preview.shown
    assert X.shape == (100, 1)
    np.testing.assert_array_equal((X, y), preview_data(default_spec("poly")))
    dialog.weights.setText("1, x")  # not numbers: no preview, and it says why
    assert dialog.data_preview.shown is None


@pytest.mark.parametrize("name", ["light", "dark"])
def test_the_data_preview_is_painted_in_the_dialogs_theme(qtbot, name):
    from PySide6.QtGui import QPalette

    from desktop.builder import default_spec
    from desktop.ui.data_preview import DataPreview
    from desktop.ui.theme import make_palette, theme_named

    preview = DataPreview()
    qtbot.addWidget(preview)
    theme = theme_named(name)
    preview.setPalette(make_palette(theme))
    preview.show_spec(default_spec("classifier"))
    base = preview.plot.backgroundBrush().color().name()
    assert base == preview.palette().color(QPalette.ColorRole.Base).name() == theme.base.lower()
    axis = preview.plot.getPlotItem().getAxis("bottom")
    assert axis.textPen().color().name() == theme.text.lower()
    assert axis.labelStyle["color"] == theme.text.lower()
