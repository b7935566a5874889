"""How a closed form is shown (plain, unicode, LaTeX), dtype-aware agreement, and the matrix form
of the linear model checked against the elementwise closed forms."""

import dataclasses
import math

import numpy as np
import pytest
import sympy as sp

import engine as torch
from symbolic import check, check_all, derive, tolerance


def test_plain_unicode_and_latex_forms(record):
    with record() as rec:
        w = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
        ((w**3).sum() + w.exp().sum() + (w * 0.123456789).sum()).backward()
    (e,) = check(rec.calls[0]).elements
    # d/dw (w³ + eʷ + 0.123456789 w) = 3w² + eʷ + 0.123456789; constants shown to 4 digits
    w0 = sp.Symbol("w_0", real=True)
    shown = 3 * w0**2 + sp.exp(w0) + sp.Float("0.1235", 4)
    assert e.closed_form == "3*w_0**2 + exp(w_0) + 0.1235"
    assert e.pretty == sp.pretty(shown, use_unicode=True) and "3⋅w₀" in e.pretty
    assert e.latex == "3 w_{0}^{2} + e^{w_{0}} + 0.1235"
    # the value is the unrounded form's, not the displayed text's
    assert e.symbolic == pytest.approx(12 + math.exp(2) + 0.123456789, rel=1e-15)
    assert e.ok and e.note == ""


def _linear_calls(record, dtype):
    torch.manual_seed(5)
    with record() as rec:
        w = torch.randn(1, 3, dtype=dtype, requires_grad=True)
        b = torch.tensor([0.5], dtype=dtype, requires_grad=True)
        X = torch.randn(8, 3, dtype=dtype)
        Y = torch.randn(8, 1, dtype=dtype)
        torch.mean(torch.pow(X @ w.t() + b - Y, 2)).backward()
    return rec.calls[0]


def _with_engine_error(call, rel):
    wrong = {ti: g * (1 + rel) for ti, g in call.engine.items()}
    return dataclasses.replace(call, engine=wrong)


def test_tolerance_follows_the_dtype(record):
    f32, f64 = _linear_calls(record, torch.float32), _linear_calls(record, torch.float64)
    r32, r64 = check(f32), check(f64)
    assert r32.ok and r64.ok
    # float32 grads differ from the exact values by rounding, and still agree
    diffs = [abs(e.engine - e.symbolic) / abs(e.symbolic) for e in r32.elements]
    assert max(diffs) > 0 and max(diffs) < tolerance(np.float32)[0]
    # a float64 grad is held to float64: an error of 1e-6 is a disagreement there ...
    bad64 = check(_with_engine_error(f64, 1e-6))
    assert not bad64.ok and all("engine disagrees with the closed form" in e.note
                                for e in bad64.elements)
    # ... and float32 rounding noise in float32
    assert check(_with_engine_error(f32, 1e-6)).ok
    assert not check(_with_engine_error(f32, 1e-3)).ok


LINEAR = {
    # name: (loss from X, w, b, Y, expected matrix-form text for w)
    "seed": (lambda X, w, b, Y: torch.mean(torch.pow(X @ w.t() + b - Y, 2)),
             "∂L/∂w = 2/8·(X·wᵀ + b − Y)ᵀ·X"),
    "target first, summed": (lambda X, w, b, Y: ((Y - (X @ w.t() + b)) ** 2).sum(),
                             "∂L/∂w = −2·(Y − (X·wᵀ + b))ᵀ·X"),
}


# float32 data enter the closed forms as their shortest decimals (0.1, not 0.100000001490116)
F32 = tolerance(np.float32)[0]


def _hand_grads(X, w, b, Y, n, seed=1.0):
    r = X @ w.T + b - Y
    return seed * 2 / n * (r.T @ X).reshape(-1), seed * 2 / n * r.sum()


@pytest.mark.parametrize("case", ["seed", "target first, summed"])
def test_matrix_form_of_the_linear_model(record, case):
    fn, text = LINEAR[case]
    torch.manual_seed(6)
    with record() as rec:
        w = torch.randn(1, 3, requires_grad=True)
        b = torch.tensor([0.5], requires_grad=True)
        X, Y = torch.randn(8, 3), torch.randn(8, 1)
        fn(X, w, b, Y).backward()
    (report,) = check_all(rec.calls)
    w_rep, b_rep = report.targets
    assert w_rep.matrix_form.text == text and w_rep.matrix_form.ok and b_rep.matrix_form.ok
    assert b_rep.matrix_form.text.startswith("∂L/∂b = ") and "Σ_rows" in b_rep.matrix_form.text
    n = 8 if case == "seed" else 1
    x, y = X.numpy().astype(float), Y.numpy().astype(float)
    want_w, want_b = _hand_grads(x, w.detach().numpy().astype(float), 0.5, y, n)
    assert [e.symbolic for e in w_rep.elements] == pytest.approx(want_w, rel=F32)
    assert b_rep.elements[0].symbolic == pytest.approx(want_b, rel=F32)
    assert w_rep.matrix_form.latex.startswith(r"\frac{\partial L}{\partial w} = ")


def test_matrix_form_untransposed_without_bias_and_a_seed(record):
    torch.manual_seed(7)
    with record() as rec:
        w = torch.randn(3, 1, requires_grad=True)
        X, Y = torch.randn(4, 3), torch.randn(4, 1)
        torch.mean((X @ w - Y) ** 2).backward(torch.tensor(3.0))
    (report,) = check_all(rec.calls)
    (w_rep,) = report.targets
    assert w_rep.matrix_form.text == "∂L/∂w = 3·2/4·Xᵀ·(X·w − Y)" and w_rep.matrix_form.ok
    x, y, wv = (a.detach().numpy().astype(float) for a in (X, Y, w))
    want = 3 * 2 / 4 * x.T @ (x @ wv - y)
    assert [e.symbolic for e in w_rep.elements] == pytest.approx(want.reshape(-1), rel=F32)


def test_a_wrong_matrix_rule_is_caught_at_every_element(record, monkeypatch):
    from symbolic import matrix_rules

    real = matrix_rules.RULES["mm"]

    def off_by_a_bit(node, ins, out, g):
        return [matrix_rules.mx.scale(matrix_rules.mx.const(1.01), e) for e in real(node, ins,
                                                                                   out, g)]

    monkeypatch.setitem(matrix_rules.RULES, "mm", off_by_a_bit)
    call = _linear_calls(record, torch.float32)
    report = check(call)
    assert not report.ok and not report.failures  # every element agrees; the matrix form not
    w_form = report.targets[0].matrix_form
    assert not w_form.ok and w_form.mismatched == w_form.compared > 0


def test_an_absolute_error_gets_sign_in_its_matrix_form(record):
    with record() as rec:
        w = torch.tensor([[1.0, 2.0]], requires_grad=True)
        X, Y = torch.ones(3, 2), torch.zeros(3, 1)
        torch.mean((X @ w.t() - Y).abs()).backward()
    (report,) = check_all(rec.calls)
    mf = report.targets[0].matrix_form
    assert report.ok and mf.ok and mf.text == "∂L/∂w = 1/3·sign(X·wᵀ − Y)ᵀ·X"


def test_an_infinite_engine_grad_agrees_only_with_an_overflowing_exact_value(record):
    # float32: d/dx exp(x) at 100 is e^100 ~ 2.7e43, beyond float32's range: inf, rightly
    with record() as rec, np.errstate(over="ignore"):
        x = torch.tensor([100.0, 1.0], requires_grad=True)
        x.exp().sum().backward()
    call = rec.calls[0]
    report = check(call)
    big, small = report.elements
    assert big.engine == math.inf and big.symbolic == pytest.approx(math.exp(100))
    assert big.ok and "overflows the dtype" in big.note and small.ok
    # but an inf where the exact value is e (representable) is a disagreement
    wrong = dataclasses.replace(call, engine={0: np.array([np.inf, np.inf], np.float32)})
    bad = check(wrong).elements[1]
    assert not bad.ok and "engine disagrees with the closed form" in bad.note
