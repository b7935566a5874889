"""engine.autograd.gradcheck / gradgradcheck (they must pass correct VJPs and catch wrong ones,
raising or returning False as PyTorch does) and engine.autograd.functional (jacobian, hessian,
vjp, jvp, hvp, vhp) against sympy's derivatives of small functions and against torch."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import engine
from engine.autograd import functional as AF
from engine.autograd import gradcheck, gradgradcheck
from engine.autograd.gradcheck import GradcheckError


def d64(*vals, rg=True):
    return engine.tensor(np.array(vals, dtype=np.float64), requires_grad=rg)


class HalfSquare(engine.autograd.Function):
    """x^2 with a backward off by a factor 2: gradcheck must notice."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x


class GoodSquare(HalfSquare):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * g * x


class FirstOrderOnly(engine.autograd.Function):
    """sin with a backward that is right but not differentiable (uses raw numpy)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * engine.tensor(np.cos(x.detach().numpy()))


# ---- gradcheck -----------------------------------------------------------------------------------
def test_gradcheck_passes_correct_gradients_of_several_inputs_and_outputs():
    a, b = d64(0.3, -1.2, 2.0), d64(1.5, 0.7, -0.4)
    assert gradcheck(lambda x, y: (x * y.exp(), (x / y).sum()), (a, b))
    assert gradcheck(GoodSquare.apply, (a,))
    assert gradcheck(lambda x, k: x * k, (a, 3.0))  # non-tensor inputs pass through


def test_gradcheck_raises_with_both_jacobians_on_a_wrong_backward():
    x = d64(1.0, 2.0, 3.0)
    with pytest.raises(GradcheckError) as e:
        gradcheck(HalfSquare.apply, (x,))
    msg = str(e.value)
    assert isinstance(e.value, RuntimeError)
    assert msg.startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:")
    assert "tensor([[2.0000, 0.0000, 0.0000]," in msg  # d(x^2)/dx at 1 is 2 ...
    assert "analytical:tensor([[1., 0., 0.]," in msg  # ... the backward said 1
    assert gradcheck(HalfSquare.apply, (x,), raise_exception=False) is False
    assert gradcheck(HalfSquare.apply, (x,), raise_exception=False, fast_mode=True) is False
    with pytest.raises(GradcheckError, match="fast mode"):
        gradcheck(HalfSquare.apply, (x,), fast_mode=True)


def test_gradcheck_tolerances_decide():
    x = d64(1.0)

    class Off(engine.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g * 1.001  # 0.1% off

    assert not gradcheck(Off.apply, (x,), atol=0, rtol=1e-4, raise_exception=False)
    assert gradcheck(Off.apply, (x,), atol=0, rtol=1e-2)


def test_gradcheck_input_checks_match_pytorch():
    with pytest.raises(ValueError, match=r"gradcheck expects at least one input tensor to require "
                                         r"gradient, but none of them have requires_grad=True\."):
        gradcheck(lambda a: a * 2, (d64(1.0, rg=False),))
    x32 = engine.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double "
                                         "precision floating point"):
        assert gradcheck(lambda a: a * 2, (x32,), eps=1e-3, atol=1e-2)


def test_gradcheck_leaves_inputs_unchanged():
    x = d64(0.1, 0.2)
    gradcheck(lambda a: a.exp(), (x,))
    assert x.tolist() == [0.1, 0.2]


def test_gradgradcheck_passes_differentiable_backward_and_catches_one_that_is_not():
    x = d64(0.3, -0.8, 1.1)
    assert gradgradcheck(lambda a: (a**3).sin() * a.exp(), (x,))
    assert gradgradcheck(GoodSquare.apply, (x,))
    assert gradcheck(FirstOrderOnly.apply, (x,))
    assert not gradgradcheck(FirstOrderOnly.apply, (x,), raise_exception=False)


# ---- autograd.functional against sympy -----------------------------------------------------------
s0, s1, s2 = sp.symbols("x0 x1 x2")
SYMS = (s0, s1, s2)
POINT = {s0: 0.4, s1: -1.3, s2: 0.9}
X = d64(0.4, -1.3, 0.9, rg=False)


def vec_fn(x):
    return engine.stack([x[0] * x[1].exp(), x[1].sin() * x[2] ** 2, (x[0] + x[2]).tanh()])


VEC_SYM = sp.Matrix([s0 * sp.exp(s1), sp.sin(s1) * s2**2, sp.tanh(s0 + s2)])


def scalar_fn(x):
    return (x[0] ** 2 * x[1]).sin() + x[2].exp() * x[0] + (x * x).sum().sqrt()


SCALAR_SYM = sp.sin(s0**2 * s1) + sp.exp(s2) * s0 + sp.sqrt(s0**2 + s1**2 + s2**2)


def sym_eval(expr):
    return np.array(sp.Matrix(expr).subs(POINT).evalf(), dtype=np.float64)


def test_jacobian_matches_sympy():
    jac = AF.jacobian(vec_fn, X)
    assert jac.shape == engine.Size([3, 3])
    np.testing.assert_allclose(jac.numpy(), sym_eval(VEC_SYM.jacobian(SYMS)), rtol=1e-12)
    assert not jac.requires_grad


def test_hessian_matches_sympy():
    hes = AF.hessian(scalar_fn, X)
    np.testing.assert_allclose(hes.numpy(), sym_eval(sp.hessian(SCALAR_SYM, SYMS)), rtol=1e-10)
    np.testing.assert_allclose(hes.numpy(), hes.numpy().T, rtol=1e-12)


def test_vjp_jvp_hvp_vhp_match_sympy_products():
    v = np.array([0.5, -2.0, 1.5])
    vt = engine.tensor(v)
    J = sym_eval(VEC_SYM.jacobian(SYMS))
    H = sym_eval(sp.hessian(SCALAR_SYM, SYMS))
    out, vj = AF.vjp(vec_fn, X, vt)
    np.testing.assert_allclose(out.numpy(), sym_eval(VEC_SYM).ravel(), rtol=1e-12)
    np.testing.assert_allclose(vj.numpy(), v @ J, rtol=1e-12)
    _, jv = AF.jvp(vec_fn, X, vt)
    np.testing.assert_allclose(jv.numpy(), J @ v, rtol=1e-12)
    val, hv = AF.hvp(scalar_fn, X, vt)
    assert val.item() == pytest.approx(float(SCALAR_SYM.subs(POINT)), rel=1e-12)
    np.testing.assert_allclose(hv.numpy(), H @ v, rtol=1e-10)
    _, vh = AF.vhp(scalar_fn, X, vt)
    np.testing.assert_allclose(vh.numpy(), v @ H, rtol=1e-10)


def test_tuple_inputs_and_outputs_nest_like_pytorch():
    a, b = engine.ones(2, dtype=engine.float64), engine.ones(2, dtype=engine.float64)
    (ja, jb), (sa, sb) = AF.jacobian(lambda x, y: (x * y, x.sum()), (a, b))
    assert ja.tolist() == [[1.0, 0.0], [0.0, 1.0]] and jb.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert sa.tolist() == [1.0, 1.0] and sb.tolist() == [0.0, 0.0]
    (haa, hab), (hba, hbb) = AF.hessian(lambda x, y: (x**3 * y).sum(), (a, b))
    assert haa.tolist() == [[6.0, 0.0], [0.0, 6.0]] and hab.tolist() == [[3.0, 0.0], [0.0, 3.0]]
    assert hba.tolist() == [[3.0, 0.0], [0.0, 3.0]] and hbb.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_create_graph_lets_results_be_differentiated_again():
    x = d64(0.5, 2.0)
    jac = AF.jacobian(lambda a: a**3, x, create_graph=True)
    assert jac.requires_grad
    jac.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6 * 0.5, 6 * 2.0])


def test_functional_errors_match_pytorch():
    with pytest.raises(RuntimeError, match="The Tensor returned by the function given to hessian "
                                           "should contain a single element"):
        AF.hessian(lambda a: a * 2, engine.randn(2))
    with pytest.raises(TypeError, match="The outputs of the user-provided function given to "
                                        "jacobian must be either a Tensor or a tuple of Tensors"):
        AF.jacobian(lambda a: 3, engine.randn(2))
    with pytest.raises(RuntimeError, match=r"The vector v can only be None if the user-provided "
                                           r"function returns a single Tensor with a single "
                                           r"element\."):
        AF.vjp(lambda a: a * 2, engine.ones(2))
    out, g = AF.vjp(lambda a: a.sum(), engine.ones(2))
    assert out.item() == 2.0 and g.tolist() == [1.0, 1.0]


def test_jacobian_of_unused_input_is_zero_or_an_error_in_strict_mode():
    a, b = engine.ones(2), engine.ones(2)
    ja, jb = AF.jacobian(lambda x, y: x * 2, (a, b))
    assert jb.abs().sum().item() == 0 and ja.tolist() == [[2.0, 0.0], [0.0, 2.0]]
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.jacobian(lambda x, y: x * 2, (a, b), strict=True)


@pytest.mark.torch
def test_functional_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.array([0.4, -1.3, 0.9])
    v = np.array([0.5, -2.0, 1.5])
    res = []
    for lib in (torch, engine):
        AFl = lib.autograd.functional

        def f(a, lib=lib):
            return lib.stack([a[0] * a[1].exp(), a[1].sin() * a[2] ** 2, (a[0] + a[2]).tanh()])

        def g(a):
            return (a[0] ** 2 * a[1]).sin() + a[2].exp() * a[0]

        xt, vt = lib.tensor(x), lib.tensor(v)
        res.append([AFl.jacobian(f, xt), AFl.hessian(g, xt), AFl.vjp(f, xt, vt)[1],
                    AFl.jvp(f, xt, vt)[1], AFl.hvp(g, xt, vt)[1]])
    for t, e in zip(*res, strict=True):
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12)
    assert torch.autograd.gradcheck(lambda a: a.sin(), (torch.tensor(x, requires_grad=True),))


def test_gradcheck_of_a_function_returning_a_view_of_its_input():
    x = engine.tensor(np.arange(6.0).reshape(6) / 7, dtype=engine.float64, requires_grad=True)
    assert engine.autograd.gradcheck(lambda t: t.reshape(2, 3).t(), (x,))
    assert engine.autograd.gradcheck(lambda t: t[1:4], (x,))
