"""The builder's polynomial fit and 2-D classifier (blobs, moons, circles): the generated code
trains on the engine, the polynomial recovers its coefficients, and the decision boundary
computed in numpy agrees with the script's own predictions."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from desktop.builder import DATASETS, ModelSpec, default_spec, generate_code
from desktop.decision_boundary import boundary_from_namespace, predict
from desktop.lessons.check import run_code


def _run(code):
    run = run_code(code, backend="engine")
    assert run.status == "finished", f"{run.error_kind}: {run.error_message}\n{code}"
    return run.namespace


def test_polynomial_fit_recovers_its_coefficients():
    spec = replace(default_spec("poly"), true_weights=(0.5, -1.0, 1.5), true_bias=-0.25,
                   noise=0.02, steps=3000)
    ns = _run(generate_code(spec))
    w = ns["w"].detach().numpy().ravel()
    np.testing.assert_allclose(w, [0.5, -1.0, 1.5], atol=0.1)
    assert abs(ns["b"].item() + 0.25) < 0.05
    assert ns["features"].shape == (spec.samples, 3)


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_the_classifier_learns_each_data_set_and_its_boundary_agrees(dataset):
    spec = replace(default_spec("classifier"), dataset=dataset)
    ns = _run(generate_code(spec))
    X, y = ns["X"].numpy(), ns["y"].numpy().ravel()
    assert X.shape == (spec.samples, 2) and set(np.unique(y)) == {0.0, 1.0}
    accuracy = ((ns["p"].detach().numpy().ravel() > 0.5) == (y > 0.5)).mean()
    assert accuracy >= 0.9, dataset
    b = boundary_from_namespace(ns)
    assert b is not None and abs(b.accuracy - accuracy) <= 2 / spec.samples
    # the script's p is from before its last optimizer step: recompute with the final
    # parameters on the engine, the way the script's forward does
    import engine

    with engine.no_grad():
        h = engine.tanh(ns["X"] @ ns["W1"] + ns["b1"])
        p_final = engine.sigmoid(h @ ns["W2"] + ns["b2"]).numpy().ravel()
    params = {k: ns[k].detach().numpy().astype(np.float64) for k in ("W1", "b1", "W2", "b2")}
    np.testing.assert_allclose(predict(params, X.astype(np.float64)), p_final, rtol=1e-4,
                               atol=1e-6)
    assert b.p.shape == (len(b.ys), len(b.xs)) and 0 <= b.p.min() <= b.p.max() <= 1
    assert b.xs[0] < X[:, 0].min() and b.xs[-1] > X[:, 0].max()  # the grid covers the data


@pytest.mark.parametrize(("spec", "message"), [
    (ModelSpec("poly", degree=3, true_weights=(1.0,)), "3 numbers"),
    (ModelSpec("poly", degree=0, true_weights=()), "degree"),
    (ModelSpec("classifier", n_in=1, true_weights=None, loss="bce"), "2 inputs"),
    (ModelSpec("classifier", n_in=2, true_weights=None, loss="bce", dataset="spirals"),
     "unknown data set"),
])
def test_bad_forms_of_the_new_templates_are_explained(spec, message):
    assert any(message in p for p in spec.problems()), spec.problems()


def test_no_boundary_without_a_2d_classifier():
    assert boundary_from_namespace({"X": np.zeros((3, 1)), "y": np.zeros(3)}) is None
    assert boundary_from_namespace({}) is None
