"""The model builder: generated code runs and converges; the loss landscape is the true loss."""

import ast
from dataclasses import replace

import numpy as np
import pytest

from desktop import builder
from desktop.builder import (
    ModelSpec,
    default_spec,
    generate_code,
    landscape_from_namespace,
    loss_grid,
    loss_landscape,
    point_and_gradient,
)
from desktop.lessons.check import run_code

CASES = [(t, o) for t in builder.TEMPLATES for o in builder.OPTIMIZERS]


def _run(code, backend="engine"):
    run = run_code(code, backend=backend)
    assert run.status == "finished", f"{run.error_kind}: {run.error_message}\n{code}"
    return run.namespace


def _converged(spec, ns):
    losses = ns["losses"]
    assert len(losses) == spec.steps
    assert all(np.isfinite(losses))
    if spec.template == "linear":
        # the noise floor is noise**2; the fit must get there and find the true line
        assert losses[-1] < 1.5 * spec.noise**2 + 1e-3
        assert np.allclose(ns["w"].detach().numpy().ravel(), spec.true_weights, atol=0.05)
        assert abs(ns["b"].item() - spec.true_bias) < 0.05
    elif spec.template == "logistic":
        accuracy = ((ns["p"] > 0.5).float() == ns["y"]).float().mean().item()
        assert accuracy >= 0.9
        assert losses[-1] < 0.3 * losses[0]
        assert ns["w"].item() > 0 > ns["b"].item()  # same signs as the true 3.0 and -1.0
    else:
        assert losses[-1] < 0.2 * losses[0]
        assert losses[-1] < 0.03


@pytest.mark.parametrize(("template", "optimizer"), CASES)
def test_generated_code_runs_and_converges_on_the_engine(template, optimizer):
    spec = default_spec(template, optimizer)
    _converged(spec, _run(generate_code(spec)))


@pytest.mark.torch
@pytest.mark.parametrize(("template", "optimizer"), CASES)
def test_generated_code_runs_and_converges_on_real_torch(template, optimizer):
    pytest.importorskip("torch")
    spec = default_spec(template, optimizer)
    _converged(spec, _run(generate_code(spec), backend="torch"))


@pytest.mark.parametrize(("template", "optimizer"), CASES)
def test_generated_code_is_plain_and_imports_only_torch(template, optimizer):
    code = generate_code(default_spec(template, optimizer))
    tree = ast.parse(code)
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert [a.name for n in imports for a in n.names] == ["torch"]
    assert "exec" not in code and "eval" not in code
    assert all(len(line) <= 79 for line in code.splitlines())  # the preview's width
    assert code.startswith("# ")


def test_several_inputs_and_outputs_recover_the_true_matrix():
    spec = ModelSpec("linear", n_in=3, n_out=2, true_weights=(1.0, -2.0, 0.5, 0.0, 3.0, 1.5),
                     true_bias=-0.5, noise=0.0, steps=200, lr=0.1)
    ns = _run(generate_code(spec))
    assert ns["w"].shape == (3, 2) and ns["b"].shape == (2,)
    np.testing.assert_allclose(ns["w"].detach().numpy(),
                               np.reshape(spec.true_weights, (3, 2)), atol=1e-3)
    np.testing.assert_allclose(ns["b"].detach().numpy(), [-0.5, -0.5], atol=1e-3)


def test_random_true_weights_come_from_the_seed():
    spec = replace(default_spec("linear"), true_weights=None, n_in=2, seed=7, steps=150)
    a, b = _run(generate_code(spec)), _run(generate_code(spec))
    np.testing.assert_array_equal(a["true_w"].numpy(), b["true_w"].numpy())
    np.testing.assert_allclose(a["w"].detach().numpy(), a["true_w"].numpy(), atol=0.05)
    other = _run(generate_code(replace(spec, seed=8)))
    assert not np.array_equal(a["true_w"].numpy(), other["true_w"].numpy())


@pytest.mark.parametrize(("spec", "message"), [
    (ModelSpec(template="cnn"), "unknown template"),
    (ModelSpec(n_in=0), "n_in must be"),
    (ModelSpec(true_weights=(1.0, 2.0)), "true weights need 1 number "),
    (ModelSpec(loss="bce"), "does not fit linear"),
    (ModelSpec("logistic", n_out=2, true_weights=(1.0, 1.0), loss="bce"), "one output"),
    (ModelSpec(optimizer="rmsprop"), "unknown optimiser"),
    (ModelSpec(lr=0.0), "learning rate must be positive"),
    (ModelSpec(noise=-1.0), "noise must be"),
    (ModelSpec(steps=True), "steps must be"),
])
def test_bad_forms_are_explained(spec, message):
    assert any(message in p for p in spec.problems())
    with pytest.raises(ValueError, match=message):
        generate_code(spec)


def test_default_specs_are_valid_and_two_parameter_flag():
    for template in builder.TEMPLATES:
        assert default_spec(template).problems() == []
    assert default_spec("linear").two_parameter
    assert default_spec("logistic").two_parameter
    assert not default_spec("mlp").two_parameter
    assert not ModelSpec(n_in=2, true_weights=(1.0, 1.0)).two_parameter


# --- landscape ---------------------------------------------------------------------------------

X = np.array([-1.0, 0.0, 1.0, 2.0])
Y = np.array([-1.0, 1.0, 3.0, 5.0])  # exactly y = 2x + 1
LABELS = np.array([0.0, 0.0, 1.0, 1.0])


def test_loss_grid_is_the_mean_squared_error_by_hand():
    grid = loss_grid(X, Y, [0.0, 2.0], [0.0, 1.0])
    assert grid.shape == (2, 2)
    assert grid[1, 1] == 0.0  # w = 2, b = 1 fits exactly
    assert grid[0, 0] == pytest.approx(np.mean(Y**2))  # w = 0, b = 0 predicts 0
    assert grid[1, 0] == pytest.approx(np.mean((1 - Y) ** 2))  # (w=0, b=1): rows follow b


@pytest.mark.parametrize(("template", "loss", "y"), [
    ("linear", "mse", Y), ("linear", "l1", Y), ("logistic", "bce", LABELS),
    ("logistic", "mse", LABELS),
])
def test_point_gradient_from_the_engine_matches_finite_differences(template, loss, y):
    w, b, h = 0.3, -0.2, 1e-6
    value, gw, gb = point_and_gradient(X, y, w, b, template, loss)
    grid = loss_grid(X, y, [w - h, w, w + h], [b - h, b, b + h], template, loss)
    assert value == pytest.approx(grid[1, 1], rel=1e-9)
    assert gw == pytest.approx((grid[1, 2] - grid[1, 0]) / (2 * h), rel=1e-5, abs=1e-8)
    assert gb == pytest.approx((grid[2, 1] - grid[0, 1]) / (2 * h), rel=1e-5, abs=1e-8)


def test_landscape_minimum_is_the_least_squares_fit_and_arrow_points_downhill():
    land = loss_landscape(X, Y, w=-1.0, b=3.0, resolution=81)
    assert land.loss.shape == (81, 81)
    assert land.w[0] < -1.0 < 2.0 < land.w[-1] and land.b[0] < 1.0 < 3.0 < land.b[-1]
    gw, gb = land.grid_minimum
    step_w, step_b = land.w[1] - land.w[0], land.b[1] - land.b[0]
    assert abs(gw - 2.0) <= step_w and abs(gb - 1.0) <= step_b
    # dL/dw = 2 mean((wx + b - y) x), by hand at (-1, 3)
    r = -1.0 * X + 3.0 - Y
    assert land.neg_grad == pytest.approx((-2 * np.mean(r * X), -2 * np.mean(r)))
    assert land.point_loss == pytest.approx(np.mean(r**2))
    nw, nb = land.neg_grad
    ahead = loss_grid(X, Y, [-1.0 + 1e-3 * nw], [3.0 + 1e-3 * nb])[0, 0]
    assert ahead < land.point_loss


def test_landscape_ranges_can_be_fixed_while_training():
    land = loss_landscape(X, Y, 0.0, 0.0, w_range=(-4, 4), b_range=(-2, 2), resolution=5)
    np.testing.assert_allclose(land.w, [-4, -2, 0, 2, 4])
    np.testing.assert_allclose(land.b, [-2, -1, 0, 1, 2])
    with pytest.raises(ValueError, match="one-weight, one-bias"):
        loss_landscape(X, Y, 0.0, 0.0, template="mlp")


def test_landscape_from_a_builder_run_sits_at_the_learned_parameters():
    spec = default_spec("linear")
    ns = _run(generate_code(spec))
    land = landscape_from_namespace(ns, spec)
    assert land.point == pytest.approx((ns["w"].item(), ns["b"].item()), rel=1e-6)
    assert land.point_loss == pytest.approx(ns["losses"][-1], rel=0.05)
    assert np.hypot(*land.neg_grad) < 0.05  # trained: the slope is almost flat
    assert landscape_from_namespace(ns, default_spec("mlp")) is None
    assert landscape_from_namespace({"X": 1}, spec) is None


def test_landscape_from_snapshot_tensors_matches_the_live_namespace():
    from desktop.builder import landscape_from_tensors
    from desktop.runner import run_script

    spec = default_spec("linear")
    code = generate_code(spec).replace(f"range({spec.steps})", "range(5)")
    result = run_script(code)
    from_snapshot = landscape_from_tensors(result.tensors, spec, w_range=(-1, 3),
                                           b_range=(-1, 2), resolution=21)
    live = landscape_from_namespace(_run(code), spec, w_range=(-1, 3), b_range=(-1, 2),
                                    resolution=21)
    assert from_snapshot.point == pytest.approx(live.point)
    assert from_snapshot.neg_grad == pytest.approx(live.neg_grad)
    np.testing.assert_allclose(from_snapshot.loss, live.loss)
