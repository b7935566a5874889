"""Local derivatives for the Backward step panel: sympy closed forms from symbolic.rules,
checked against sympy's own diff and finite differences; description fallbacks otherwise."""

import math

import pytest
import sympy as sp

from desktop.debugger.local_derivative import local_derivative

a, b, p = sp.symbols("a b p", real=True)


def partial(d, name):
    return sp.sympify(dict(d.partials)[name], locals={"a": a, "b": b, "p": p})


@pytest.mark.parametrize("op, forward, shapes", [
    ("MulBackward0", a * b, ((1,), (1,))),
    ("DivBackward0", a / b, ((1,), (1,))),
    ("SubBackward0", a - b, ((2,), (2,))),
    ("PowBackward0", a**p, ((3,),)),
    ("ExpBackward0", sp.exp(a), ((1,),)),
    ("TanhBackward0", sp.tanh(a), ((1,),)),
])
def test_closed_forms_are_the_derivatives_of_the_forward(op, forward, shapes):
    d = local_derivative(op, shapes)
    assert d.source == "sympy"
    assert sp.simplify(sp.sympify(d.forward, locals={"a": a, "b": b, "p": p}) - forward) == 0
    for name, sym in (("a", a), ("b", b)):
        if forward.has(sym):
            assert sp.simplify(partial(d, f"∂out/∂{name}") - sp.diff(forward, sym)) == 0


def test_sigmoid_derivative_matches_finite_differences():
    d = local_derivative("SigmoidBackward0", ((1,),))
    f = sp.lambdify(a, partial(d, "∂out/∂a"))
    sig = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    for x in (-2.0, 0.0, 0.7):
        fd = (sig(x + 1e-6) - sig(x - 1e-6)) / 2e-6
        assert f(x) == pytest.approx(fd, rel=1e-6)
        assert f(x) == pytest.approx(sig(x) * (1 - sig(x)), rel=1e-9)


def test_reductions_use_the_input_size():
    mean = local_derivative("MeanBackward0", ((10, 1),))
    assert mean.forward == "mean(a) over 10 elements"
    assert dict(mean.partials) == {"∂out/∂a[i]": "1/10"}
    assert dict(local_derivative("MeanBackward0", ((100, 100),)).partials) == {
        "∂out/∂a[i]": "1/10000"}
    assert dict(local_derivative("SumBackward0", ((3,),)).partials) == {"∂out/∂a[i]": "1"}


def test_matrix_and_leaf_nodes_fall_back_to_their_vjp_or_description():
    mm = local_derivative("MmBackward0", ((10, 2), (2, 1)))
    assert mm.source == "rule" and dict(mm.partials) == {"grad a": "g @ bᵀ",
                                                         "grad b": "aᵀ @ g"}
    acc = local_derivative("AccumulateGrad", ())
    assert acc.source == "doc" and "adds the incoming grad" in acc.text()
    unknown = local_derivative("NoSuchBackward0", ())
    assert unknown.source == "doc" and unknown.partials == ()


def test_the_exponent_of_pow_is_read_off_the_values_when_it_explains_them():
    import numpy as np

    from desktop.debugger.local_derivative import infer_exponent

    x = np.array([[1.5], [-2.0], [0.3], [1.0], [0.0]])
    assert infer_exponent(x, x**2) == 2.0
    assert infer_exponent(x, x**3) == 3.0
    assert infer_exponent(np.abs(x), np.sqrt(np.abs(x))) == 0.5
    assert infer_exponent(x, 3 * x) is None  # not a power
    with np.errstate(invalid="ignore"):
        assert infer_exponent(x, x**2.3) is None  # not a simple number (NaN for x < 0)
    assert infer_exponent(np.ones(3), np.ones(3)) is None  # any p fits: unknown
    assert infer_exponent(None, x) is None
    d = local_derivative("PowBackward0", ((5, 1),), 2.0)
    assert (d.forward, dict(d.partials)["∂out/∂a"]) == ("a**2", "2*a")
    assert "p = 2" in d.note
    assert dict(local_derivative("PowBackward0", ((5, 1),)).partials)["∂out/∂a"] == \
        "a**(p - 1)*p"


def test_the_first_closed_form_takes_the_imports_a_later_one_would_need():
    """sympy's simplify imports sympy.physics.units on its first call (0.6 s holding the GIL):
    that import belongs to the first closed form (with sympy's own), not to a later step,
    where it would stall the window's rendering of the steps that follow."""
    import subprocess
    import sys

    probe = ("import sys\n"
             "from desktop.debugger.local_derivative import local_derivative\n"
             "local_derivative('MeanBackward0', ((2,),))\n"
             "print('sympy.physics.units' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


def test_nodes_named_without_their_namespace_find_their_op_row():
    # the panels name CopyBackwards as print(grad_fn) does; its row is torch::autograd::...
    copy = local_derivative("CopyBackwards", ((2,), (2,)))
    assert copy.source == "sympy" and copy.forward == "b"  # a's values are overwritten by b's
    assert dict(copy.partials) == {"∂out/∂a": "0", "∂out/∂b": "1"}
