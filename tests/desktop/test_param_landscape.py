"""Loss over any two chosen parameter elements (Qt-free): hand-derived values, and the loss the
builder's own code computes for every template."""

import dataclasses

import numpy as np
import pytest

from desktop.builder import LOSSES, TEMPLATES, _forward_lines, default_spec, generate_code
from desktop.lessons.check import run_code
from desktop.param_landscape import (
    Element,
    loss_function,
    pair_landscape,
    params_of,
    parse_element,
    scalar_elements,
)


def test_hand_derived_linear_grid():
    import engine as torch

    ns = {"X": torch.tensor([[1.0], [2.0]]), "y": torch.tensor([[3.0], [5.0]]),
          "w": torch.zeros(1, 1), "b": torch.zeros(1)}
    land = pair_landscape(ns, default_spec("linear"), "w[0, 0]", "b[0]",
                          a_range=(0, 4), b_range=(-1, 3), resolution=5)
    assert land.xs.tolist() == [0, 1, 2, 3, 4] and land.ys.tolist() == [-1, 0, 1, 2, 3]
    assert land.loss[2, 2] == 0.0  # w = 2, b = 1 fits both points
    assert land.loss[1, 0] == pytest.approx((3 ** 2 + 5 ** 2) / 2)  # w = 0, b = 0
    assert land.loss[0, 4] == pytest.approx(((4 - 1 - 3) ** 2 + (8 - 1 - 5) ** 2) / 2)
    assert land.point == (0.0, 0.0) and land.point_loss == pytest.approx(17.0)
    assert land.path == ((0.0, 0.0),)


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_the_loss_is_the_one_the_generated_code_computes(template):
    for loss in LOSSES[template]:
        spec = dataclasses.replace(default_spec(template), loss=loss, steps=3)
        ns = run_code(generate_code(spec)).namespace
        # the code's own forward, at the trained parameters, on the engine (float32)
        exec("\n".join(_forward_lines(spec)), ns)
        params = params_of(ns, spec)
        assert loss_function(ns, spec)(params) == pytest.approx(ns["loss"].item(), rel=1e-5)
        elements = scalar_elements(params)
        assert len(elements) == sum(v.size for v in params.values())
        land = pair_landscape(ns, spec, elements[0], elements[-1], resolution=9)
        assert land.loss[4, 4] == pytest.approx(land.point_loss)  # the centre is the point
        assert np.isfinite(land.loss).all()


def test_two_elements_of_an_mlp_with_the_others_fixed():
    spec = dataclasses.replace(default_spec("mlp"), steps=5)
    ns = run_code(generate_code(spec)).namespace
    params = params_of(ns, spec)
    labels = [e.label for e in scalar_elements(params)]
    assert labels[:2] == ["W1[0, 0]", "W1[0, 1]"] and "b2[0]" in labels
    land = pair_landscape(ns, spec, "W1[0, 1]", "b2[0]", resolution=5,
                          a_range=(-1, 1), b_range=(0, 2))
    # one grid value by hand: the forward with exactly those two elements changed
    p = {k: v.copy() for k, v in params.items()}
    p["W1"][0, 1], p["b2"][0] = 0.5, 1.5
    h = np.tanh(ns["X"].numpy().astype(np.float64) @ p["W1"] + p["b1"])
    want = (((h @ p["W2"] + p["b2"]) - ns["y"].numpy()) ** 2).mean()
    assert land.loss[3, 3] == pytest.approx(want)
    assert params["W1"][0, 1] == ns["W1"][0, 1].item()  # nothing of the namespace was changed


def test_the_grid_holds_the_training_path():
    spec = default_spec("linear")
    ns = run_code(generate_code(spec)).namespace
    end = (ns["w"].item(), ns["b"].item())
    path = [(0.0, 0.0), (0.5, 0.2), end]
    land = pair_landscape(ns, spec, "w[0, 0]", "b[0]", path=path)
    assert land.path == tuple(path) and land.point == end
    for pa, pb in path:
        assert land.xs[0] <= pa <= land.xs[-1] and land.ys[0] <= pb <= land.ys[-1]


@pytest.mark.parametrize(("label", "message"), [
    ("W9[0]", "no parameter named 'W9'; the model has W1, b1, W2, b2"),
    ("W1[5, 0]", "W1 has shape"),
    ("W1[0]", "W1 has shape"),
    ("W1 0", "is not an element such as"),
])
def test_bad_elements_are_refused_with_a_message(label, message):
    spec = default_spec("mlp")
    ns = run_code(generate_code(dataclasses.replace(spec, steps=1))).namespace
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        pair_landscape(ns, spec, label, "b2[0]")
    with pytest.raises(ValueError, match="two different elements"):
        pair_landscape(ns, spec, "b2[0]", Element("b2", (0,)))
    assert pair_landscape({"X": 1}, spec, "W1[0, 0]", "b2[0]") is None
    assert parse_element(" b1 [ 2 ] ", params_of(ns, spec)) == Element("b1", (2,))
