"""torch.autograd.functional with PyTorch's strict-mode checks and messages, grad(is_grads_batched=
True), and gradcheck/gradgradcheck options and failures as PyTorch 2.13 reports them."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from differential import compare, run
from engine.autograd import functional as AF
from engine.autograd import gradcheck, gradgradcheck
from engine.autograd.gradcheck import GradcheckError

STRICT_MODE = """
import torch.autograd.functional as AF
x = torch.tensor([1., 2.])
y = torch.tensor([3.])
def indep(a): return torch.ones(2) * 3
def lin(a): return a * 2
def partial(a, b): return a * 2
def detach_out(a): return a.detach() * 2
def nonlin(a): return a ** 3
for name, f in [("vjp", AF.vjp), ("jvp", AF.jvp)]:
    print("---", name)
    tryit(lambda: f(indep, x, torch.ones(2), strict=True))
    tryit(lambda: f(lin, x, torch.ones(2), strict=True))
    tryit(lambda: f(detach_out, x, torch.ones(2), strict=True))
    tryit(lambda: f(partial, (x, y), (torch.ones(2),) if name == "vjp" else (torch.ones(2), torch.ones(1)), strict=True))
    tryit(lambda: f(lin, x, torch.ones(2), strict=True, create_graph=True))
    tryit(lambda: f(indep, x, torch.ones(2), strict=False))
print("--- jacobian")
tryit(lambda: AF.jacobian(indep, x, strict=True))
tryit(lambda: AF.jacobian(lin, x, strict=True))
tryit(lambda: AF.jacobian(detach_out, x, strict=True))
tryit(lambda: AF.jacobian(partial, (x, y), strict=True))
tryit(lambda: AF.jacobian(lin, x, strict=True, vectorize=True))
tryit(lambda: AF.jacobian(lin, x, strategy="forward-mode"))
tryit(lambda: AF.jacobian(lin, x, strategy="bad"))
tryit(lambda: AF.jacobian(lin, x, create_graph=True))
tryit(lambda: AF.jacobian(indep, x))
tryit(lambda: AF.jacobian(lin, x, strategy="forward-mode", vectorize=True))
print("--- hessian")
def s1(a): return (a ** 3).sum()
def lin_s(a): return (a * 2).sum()
def indep_s(a): return torch.tensor(3.)
def partial_s(a, b): return (a ** 2).sum()
tryit(lambda: AF.hessian(s1, x, strict=True))
tryit(lambda: AF.hessian(lin_s, x, strict=True))
tryit(lambda: AF.hessian(indep_s, x, strict=True))
tryit(lambda: AF.hessian(partial_s, (x, y), strict=True))
tryit(lambda: AF.hessian(lin_s, x))
tryit(lambda: AF.hessian(s1, x, outer_jacobian_strategy="forward-mode"))
tryit(lambda: AF.hessian(s1, x, vectorize=True))
tryit(lambda: AF.hessian(lin, x))
print("--- vhp/hvp")
for name, f in [("vhp", AF.vhp), ("hvp", AF.hvp)]:
    tryit(lambda: f(s1, x, torch.ones(2), strict=True))
    tryit(lambda: f(lin_s, x, torch.ones(2), strict=True))
    tryit(lambda: f(indep_s, x, torch.ones(2), strict=True))
    tryit(lambda: f(partial_s, (x, y), (torch.ones(2), torch.ones(1)), strict=True))
    tryit(lambda: f(lin_s, x, torch.ones(2)))
    tryit(lambda: f(s1, x, torch.ones(2), create_graph=True, strict=True))
    tryit(lambda: f(lin, x, torch.ones(2)))
"""

VALUES_AND_ARGUMENT_ERRORS = """
import torch.autograd.functional as AF
x = torch.tensor([1., 2., 3.], dtype=torch.float64)
def f(a, b): return (a * b.sum(), a.exp())
b = torch.tensor([0.5, -1.], dtype=torch.float64)
for vec in (False, True):
    print(AF.jacobian(f, (x, b), vectorize=vec))
    print(AF.jacobian(lambda a: a ** 2, x, vectorize=vec, create_graph=True))
    print(AF.hessian(lambda a: (a ** 3).sum(), x, vectorize=vec))
print(AF.hessian(lambda a, c: (a ** 2 * c.sum()).sum(), (x, b)))
print(AF.vjp(lambda a: a ** 2, x, torch.ones(3, dtype=torch.float64), create_graph=True))
print(AF.jvp(lambda a: a ** 2, x, torch.ones(3, dtype=torch.float64)))
print(AF.hvp(lambda a: (a ** 3).sum(), x, torch.ones(3, dtype=torch.float64)))
print(AF.vhp(lambda a: (a ** 3).sum(), (x,), (torch.ones(3, dtype=torch.float64),)))
tryit(lambda: AF.vjp(lambda a: a ** 2, [x], torch.ones(3)))
tryit(lambda: AF.vjp(lambda a: a ** 2, x, torch.ones(2)))
tryit(lambda: AF.vjp(lambda a: [a], x, torch.ones(3)))
tryit(lambda: AF.jvp(lambda a, c: a, (x, b), (torch.ones(3),)))
tryit(lambda: AF.jvp(lambda a, c: a, (x, b), (torch.ones(3), torch.ones(3))))
tryit(lambda: AF.jvp(lambda a: a, x))
w = torch.tensor([1., 2.], requires_grad=True)
y = w ** 2
g = torch.autograd.grad(y, w, torch.eye(2), is_grads_batched=True)
print(g)
z = torch.tensor([3.], requires_grad=True)
print(torch.autograd.grad((w * z).sum(), (w, z), torch.tensor([1., 2.]), is_grads_batched=True, retain_graph=True))
print(torch.autograd.grad(w.sum() * 2, w, torch.tensor([1., 2.]), is_grads_batched=True, create_graph=True))
"""

GRADCHECK = """
from torch.autograd import gradcheck, gradgradcheck, Function
x = torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True)
tryit(lambda: gradcheck(lambda a: a.argmax(), (x,)))

tryit(lambda: gradcheck(lambda a: a.detach() * 2, (x,)))
def shape_change(a):
    return a[a > 1.0000005] * 2
tryit(lambda: gradcheck(shape_change, (torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True),)))
class Wrong(Function):
    @staticmethod
    def forward(ctx, a): return a * 2
    @staticmethod
    def backward(ctx, g): return g * 3
tryit(lambda: gradcheck(Wrong.apply, (x,), raise_exception=False))
tryit(lambda: gradcheck(Wrong.apply, (x,)))
class Noisy(Function):
    calls = 0
    @staticmethod
    def forward(ctx, a): return a * 2
    @staticmethod
    def backward(ctx, g):
        Noisy.calls += 1
        return g * (2 + (1e-7 if Noisy.calls in (3, 4) else 0))
class Leaky(Function):
    @staticmethod
    def forward(ctx, a): return a * 2
    @staticmethod
    def backward(ctx, g):
        return g * 2 + 1e-9
tryit(lambda: gradcheck(Leaky.apply, (x,)))
tryit(lambda: gradcheck(Noisy.apply, (x,)))
Noisy.calls = 0
tryit(lambda: gradcheck(Noisy.apply, (x,), raise_exception=False))
Noisy.calls = 0
tryit(lambda: gradcheck(Noisy.apply, (x,), nondet_tol=1e-6))
class NoUndef(Function):
    @staticmethod
    def forward(ctx, a): return a * 2
    @staticmethod
    def backward(ctx, g):
        if g is None: raise ValueError("none")
        return g * 2
tryit(lambda: gradcheck(NoUndef.apply, (x,)))
class BadUndef(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.set_materialize_grads(False)
        return a * 2
    @staticmethod
    def backward(ctx, g):
        return torch.ones_like(ctx.saved_tensors[0]) if False else (g * 2 if g is not None else torch.ones(2, dtype=torch.float64))
tryit(lambda: gradcheck(BadUndef.apply, (x,)))
tryit(lambda: gradcheck(BadUndef.apply, (x,), check_undefined_grad=False))
tryit(lambda: gradcheck(lambda a: a ** 2, (x,), check_batched_grad=True))
tryit(lambda: gradcheck(lambda a: a * 2, (x.detach(),)))
tryit(lambda: gradcheck(lambda a: a * 2, (x.float(),)))
torch.manual_seed(0)
print(gradgradcheck(lambda a: a ** 3, (x,)))
print(torch.rand(3))
torch.manual_seed(0)
print(gradgradcheck(lambda a, b: (a ** 2 * b, (a * b).sum()), (x, torch.tensor([3., 4.], dtype=torch.float64, requires_grad=True))))
print(torch.rand(3))
print(gradgradcheck(lambda a: a ** 3, (x,), raise_exception=False))
class OnceD(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a); return a ** 2
    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * a.detach() * 2
tryit(lambda: gradgradcheck(OnceD.apply, (x,)))
"""


@pytest.mark.torch
@pytest.mark.parametrize("name", ["STRICT_MODE", "VALUES_AND_ARGUMENT_ERRORS", "GRADCHECK"])
def test_same_transcript_as_torch(name):
    torch = pytest.importorskip("torch")
    compare(globals()[name], torch)


def test_strict_mode_messages_name_the_failing_step():
    lines = run(STRICT_MODE, engine).splitlines()
    assert lines[1].startswith("RuntimeError Output 0 of the user-provided function does not "
                               "require gradients.")
    assert lines[4] == ("RuntimeError The output of the user-provided function is independent "
                        "of input 1. This is not allowed in strict mode.")
    assert lines[5] == ("RuntimeError The jacobian of the user-provided function is "
                        "independent of input 0. This is not allowed in strict mode when "
                        "create_graph=True.")


def test_jacobian_vectorized_equals_row_by_row_and_hand_values():
    x = engine.tensor([0.5, -1.0, 2.0], dtype=engine.float64)

    def f(a):
        return a.sin() * a.sum()

    rows = AF.jacobian(f, x)
    batched = AF.jacobian(f, x, vectorize=True)
    a = x.numpy()
    hand = np.diag(np.cos(a) * a.sum()) + np.sin(a)[:, None]  # d(sin a_i * S)/d a_j
    np.testing.assert_allclose(rows.numpy(), hand, rtol=1e-12)
    np.testing.assert_allclose(batched.numpy(), hand, rtol=1e-12)


def test_hvp_by_double_backward_trick_matches_the_hessian():
    x = engine.tensor([0.3, 0.7], dtype=engine.float64)

    def f(a):
        return (a[0] ** 2 * a[1] ** 3).sum()

    v = engine.tensor([1.0, -2.0], dtype=engine.float64)
    h = AF.hessian(f, x).numpy()
    x0, x1 = 0.3, 0.7
    hand = np.array([[2 * x1 ** 3, 6 * x0 * x1 ** 2], [6 * x0 * x1 ** 2, 6 * x0 ** 2 * x1]])
    np.testing.assert_allclose(h, hand, rtol=1e-12)
    np.testing.assert_allclose(AF.hvp(f, x, v)[1].numpy(), hand @ v.numpy(), rtol=1e-12)
    np.testing.assert_allclose(AF.vhp(f, x, v)[1].numpy(), v.numpy() @ hand, rtol=1e-12)


def test_grads_batched_is_one_backward_per_row():
    w = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = w ** 2
    basis = engine.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    (g,) = engine.autograd.grad(y, w, basis, is_grads_batched=True)
    assert g.tolist() == [[2.0, 0.0, 0.0], [0.0, 0.0, 12.0]]
    with pytest.raises(RuntimeError, match="grad_outputs must be provided"):
        engine.autograd.grad(w.sum(), w, is_grads_batched=True)


def test_gradgradcheck_draws_grad_outputs_from_the_global_generator():
    x = engine.tensor([1.0, 2.0], dtype=engine.float64, requires_grad=True)
    engine.manual_seed(3)
    assert gradgradcheck(lambda a: a ** 3, (x,))
    after = engine.rand(2).tolist()
    engine.manual_seed(3)
    engine.empty(2, dtype=engine.float64).uniform_(-1, 1)  # the one grad_output it drew
    assert engine.rand(2).tolist() == after


def test_gradcheck_raise_exception_false_and_nondet_tol():
    calls = []

    class Flaky(engine.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g * (2 + 1e-8 * len(calls))

    x = engine.tensor([1.0, 2.0], dtype=engine.float64, requires_grad=True)
    assert gradcheck(Flaky.apply, (x,), raise_exception=False) is False
    with pytest.raises(GradcheckError, match="^Backward is not reentrant"):
        gradcheck(Flaky.apply, (x,))
    assert gradcheck(Flaky.apply, (x,), nondet_tol=1e-6) is True
