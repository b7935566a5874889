"""The two-element loss landscape view: empty state, the chooser, the heatmap and the path."""

import dataclasses

import numpy as np
import pytest

from desktop.builder import default_spec, generate_code
from desktop.lessons.check import run_code
from desktop.param_landscape import pair_landscape
from desktop.ui.pair_landscape_view import EMPTY_TEXT, PairLandscapeView


@pytest.fixture
def mlp():
    spec = dataclasses.replace(default_spec("mlp"), steps=4)
    return run_code(generate_code(spec)).namespace, spec


def test_empty_before_a_run(qtbot):
    view = PairLandscapeView()
    qtbot.addWidget(view)
    assert view.caption.text() == EMPTY_TEXT
    assert view.plot.isHidden() and not view.first.isEnabled() and view.first.count() == 0
    assert not view.update_from_namespace({"x": 1}, default_spec("mlp"))
    assert view.plot.isHidden()


def test_choosing_two_elements_draws_their_loss_and_the_path(qtbot, mlp):
    ns, spec = mlp
    view = PairLandscapeView()
    qtbot.addWidget(view)
    assert view.update_from_namespace(ns, spec)
    n = sum(ns[k].numel() for k in ("W1", "b1", "W2", "b2"))
    assert view.first.count() == view.second.count() == n
    assert view.first.currentText() == "W1[0, 0]" and view.second.currentText() == "b2[0]"
    view.choose("W1[0, 1]", "b2[0]")
    assert not view.plot.isHidden()
    want = pair_landscape(ns, spec, "W1[0, 1]", "b2[0]")
    np.testing.assert_allclose(view.image.image, np.log1p(want.loss.T))
    assert view.plot.getPlotItem().getAxis("bottom").labelText == "W1[0, 1]"
    assert view.point_item.getData()[0][0] == pytest.approx(ns["W1"][0, 1].item())
    assert "W1[0, 1] = " in view.caption.text()
    levels = view.colorbar.levels()
    assert levels[0] < levels[1]
    # later updates (training steps, debugger stops) extend the path of the chosen pair
    moved = dict(ns)
    moved["W1"] = ns["W1"].detach().clone()
    moved["W1"][0, 1] = moved["W1"][0, 1] + 0.25
    assert view.update_from_namespace(moved, spec)
    assert view.first.currentText() == "W1[0, 1]"  # the choice is kept
    assert len(view.trail) == 2 and view.trail[1][0] == pytest.approx(ns["W1"][0, 1].item() + 0.25)
    xs, _ = view.path_item.getData()
    assert len(xs) == 2
    view.choose("b1[1]", "W2[3, 0]")  # a new pair starts its own path
    assert len(view.trail) == 1
    assert view.plot.getPlotItem().getAxis("left").labelText == "W2[3, 0]"


def test_the_same_element_twice_is_explained(qtbot, mlp):
    ns, spec = mlp
    view = PairLandscapeView()
    qtbot.addWidget(view)
    view.update_from_namespace(ns, spec)
    view.choose("b2[0]", "b2[0]")
    assert view.plot.isHidden() and "two different elements" in view.caption.text()
    with pytest.raises(ValueError, match="not an element"):
        view.choose("W9[0]", "b2[0]")
    view.clear()
    assert view.caption.text() == EMPTY_TEXT and view.first.count() == 0


@pytest.fixture
def app(qtbot, settings, tmp_path, monkeypatch):
    from integration_helpers import app_fixture

    yield from app_fixture(qtbot, settings, tmp_path, monkeypatch)


def test_an_mlp_run_in_the_app_shows_two_of_its_elements_until_the_program_changes(app,
                                                                                     qtbot):
    window, controller = app
    spec = dataclasses.replace(default_spec("mlp"), steps=20)
    controller.set_spec(spec)
    assert controller.insert_generated_code(generate_code(spec))
    with qtbot.waitSignal(controller.run_finished, timeout=60000) as blocker:
        window.act_run.trigger()
    assert blocker.args[0].status == "finished"
    view = controller.pair_landscape
    assert view is not None and view.landscape is not None and not view.plot.isHidden()
    assert window.docks["pair_landscape"].isVisible()
    view.choose("W1[0, 2]", "b1[2]")
    assert view.landscape.a.label == "W1[0, 2]"
    controller.clear_results()
    assert view.landscape is None and view.plot.isHidden() and view.caption.text() == EMPTY_TEXT
