"""Every example of the seed article, checked three ways (all agree, with hand-derived values)."""

import numpy as np
import pytest
import seed_programs
from seed_programs import (
    SEED_GRAD_TENSORS,
    SEED_LINEAR,
    SEED_MULTI,
    MyReLU,
    relu_model,
    run_program,
)

import engine as torch
from symbolic import Options, check, check_all


def test_linear_model_all_agree_with_matrix_form(record):
    torch.manual_seed(0)
    with record() as rec:
        seed = run_program(SEED_LINEAR)
    X, Y = seed["X"], seed["Y"]
    (report,) = check_all(rec.calls)
    assert report.ok, report
    names = [t.name for t in report.targets]
    assert names == ["w", "b"]
    w_rep, b_rep = report.targets
    assert [e.symbol for e in w_rep.elements] == ["w_0_0", "w_0_1"]
    # hand-derived: dL/dw = 2/N (X w^T + b - Y)^T X, dL/db = 2/N sum(X w^T + b - Y)
    x, y = X.numpy().astype(np.float64), Y.numpy().astype(np.float64)
    r = x @ np.array([[3.0], [1.0]]) + 3.0 - y
    want_w = (2 / 10 * r.T @ x).reshape(-1)
    want_b = 2 / 10 * r.sum()
    assert [e.symbolic for e in w_rep.elements] == pytest.approx(want_w, rel=1e-6)
    assert b_rep.elements[0].symbolic == pytest.approx(want_b, rel=1e-6)
    for e in report.elements:
        assert e.finite == pytest.approx(e.symbolic, rel=1e-6, abs=1e-8)
        assert e.engine == pytest.approx(e.symbolic, rel=1e-5)
        assert e.closed_form and e.latex and e.pretty
    assert w_rep.matrix_form is not None and w_rep.matrix_form.ok
    # the seed names its prediction Y_hat: the chain goes through it
    assert w_rep.matrix_form.text == "∂L/∂w = (∂L/∂Y_hat)ᵀ·X"
    assert [c[0] for c in w_rep.matrix_form.chain] == ["∂L/∂Y_hat = 2/10·(Y_hat − Y)"]
    assert b_rep.matrix_form.ok
    # the closed form of dL/db is linear in the parameters: 2 b + c_w0 w0 + c_w1 w1 + c
    assert "2*b_0_0" in b_rep.elements[0].closed_form


def test_custom_relu_agrees_and_matches_article(record):
    with record() as rec:
        w, b, _ = relu_model(MyReLU)
    assert w.grad.tolist() == [[4.5, 4.5]] and b.grad.tolist() == [[4.5]]
    (report,) = check_all(rec.calls)
    assert report.ok, report.failures
    assert [e.symbolic for e in report.elements] == pytest.approx([4.5, 4.5, 4.5])
    (custom,) = report.custom
    assert custom.function == "MyReLU" and custom.replayed and custom.ok
    # the replayed clamp(min=0) is Max(x, 0): grad 0 where the input (-1) is negative
    first = custom.elements[0]
    assert first.symbol == "input_0_0" and "Heaviside(input_0_0, 1)" in first.closed_form
    assert "Max(b_0_0 - w_0_0 - w_0_1, 0)" in report.output
    assert first.symbolic == 0.0 and first.engine == 0.0


def test_weighted_backward_of_cat(record):
    with record() as rec:
        w = run_program(SEED_GRAD_TENSORS)["w"]
    assert w.grad.tolist() == [9.0]
    (report,) = check_all(rec.calls)
    assert report.ok
    w_el = report.targets[0].elements[0]
    assert w_el.symbolic == 9.0 and w_el.engine == 9.0
    assert w_el.closed_form == "2*w_0 + x_0 + 5"  # d/dw [(w+x)(w+1) + 2(2w+x+1)]


def test_quadratic_first_second_and_third_derivative(record):
    with record() as rec:
        x = torch.tensor(0.0, requires_grad=True)
        a, b, c = torch.tensor(1.0), torch.tensor(-2.0), torch.tensor(1.0)
        y = a * torch.pow(x, 2) + b * x + c
        dy_dx = torch.autograd.grad(y, x, create_graph=True)[0]
        dy2_dx2 = torch.autograd.grad(dy_dx, x, create_graph=True)[0]
        z = torch.pow(x, 3)
        dz = torch.autograd.grad(z, x, create_graph=True)[0]
        d2z = torch.autograd.grad(dz, x, create_graph=True)[0]
        d3z = torch.autograd.grad(d2z, x)[0]
    assert dy_dx.item() == -2.0 and dy2_dx2.item() == 2.0 and d3z.item() == 6.0
    reports = check_all(rec.calls)
    assert [r.order for r in reports] == [1, 2, 1, 2, 3]
    assert all(r.ok for r in reports)
    first, second, _, _, third = reports
    assert first.elements[0].closed_form == "2*x - 2" and first.elements[0].symbolic == -2.0
    assert second.elements[0].closed_form == "2" and second.elements[0].engine == 2.0
    assert third.elements[0].closed_form == "6" and third.elements[0].symbolic == 6.0
    assert "2nd order" in second.title and "3rd order" in third.title
    # finite differences of the engine's own backward graphs: d/dx (2ax + b), d/dx (6x)
    assert second.elements[0].finite == pytest.approx(2.0, rel=1e-6)
    assert third.elements[0].finite == pytest.approx(6.0, rel=1e-6)
    assert first.elements[0].finite == pytest.approx(-2.0, rel=1e-6)


def test_two_variables_and_two_outputs(record):
    with record() as rec:
        run_program(SEED_MULTI)
    one, both = check_all(rec.calls)
    assert one.kind == "grad" and one.ok and both.ok
    assert [(e.closed_form, e.symbolic) for e in one.elements] == [("x2", 2.0), ("x1", 1.0)]
    assert [(e.closed_form, e.symbolic) for e in both.elements] == [("x2 + 1", 3.0),
                                                                     ("x1 + 1", 2.0)]


def test_seed_graph_is_plain_data_checkable_after_the_graph_is_gone(record):
    with record() as rec:
        w = torch.tensor([2.0, -1.0], requires_grad=True)
        (w * w).sum().backward()
    del w
    report = check(rec.calls[0], Options(time_limit=10))
    assert report.ok and [e.symbolic for e in report.elements] == [4.0, -2.0]


def test_constants_as_symbols_on_request(record):
    with record() as rec:
        w = torch.tensor([2.0], requires_grad=True)
        X = torch.tensor([3.0])
        Y = torch.tensor([1.0])
        ((X * w - Y) ** 2).sum().backward()
    plain = check(rec.calls[0])
    named = check(rec.calls[0], Options(constants_as_symbols=True))
    assert plain.elements[0].closed_form == "18*w_0 - 6"
    assert named.elements[0].closed_form == "2*X_0**2*w_0 - 2*X_0*Y_0"
    assert plain.elements[0].symbolic == named.elements[0].symbolic == 30.0
    assert named.ok


SEED_CALLS = {  # every SEED_* program: the calls it makes, as (order, failed call?)
    "SEED_LINEAR": [(1, False)], "SEED_HOOKS": [(1, False)], "SEED_RELU": [(1, False)],
    "SEED_GRAD_TENSORS": [(1, False)], "SEED_HIGHER": [(1, False), (2, False)],
    "SEED_MULTI": [(1, False), (1, False)],
    "SEED_TWICE": [(1, False), (1, True)],  # the second backward through a freed graph fails
}


@pytest.mark.parametrize("name", sorted(n for n in dir(seed_programs) if n.startswith("SEED_")))
def test_every_seed_program_agrees_three_ways(record, name):
    torch.manual_seed(0)
    with record() as rec:
        try:
            run_program(getattr(seed_programs, name))
        except RuntimeError as exc:
            assert name == "SEED_TWICE" and "backward through the graph a second time" in str(exc)
    reports = check_all(rec.calls)
    assert [(r.order, r.error is not None) for r in reports] == SEED_CALLS[name]
    for r in reports:
        assert r.ok and not r.unchecked, (name, r.title, r.failures)
        for e in r.elements:
            assert e.closed_form and e.symbolic is not None
            assert e.finite == pytest.approx(e.symbolic, rel=1e-5, abs=1e-6)
            assert e.engine == pytest.approx(e.symbolic, rel=1e-4, abs=1e-5)
        assert all(c.replayed and c.ok for c in r.custom)
    assert (name == "SEED_RELU") == any(r.custom for r in reports)
