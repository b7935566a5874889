"""Custom autograd.Function extras as PyTorch 2.13 has them: setup_context, once_differentiable,
non-tensor outputs, mark_dirty, set_materialize_grads, saved_variables, backward/vjp."""

from __future__ import annotations

import warnings

import pytest

import engine
from differential import compare, run
from engine.autograd import Function
from engine.autograd.function import once_differentiable

SETUP_ONCE_MATERIALIZE = """
from torch.autograd import Function
from torch.autograd.function import once_differentiable
# setup_context
class Mul(Function):
    @staticmethod
    def forward(x, k):
        return x * k
    @staticmethod
    def setup_context(ctx, inputs, output):
        x, k = inputs
        ctx.k = k
        ctx.save_for_backward(x)
        print("setup", type(output).__name__, len(inputs))
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * ctx.k, None
x = torch.tensor([1., 2.], requires_grad=True)
y = Mul.apply(x, 3.0)
print(y, y.grad_fn.name())
y.sum().backward(); print(x.grad)
with torch.no_grad():
    print(Mul.apply(x, 2.0))
# forward with ctx and setup_context both -> error?
class Bad(Function):
    @staticmethod
    def forward(ctx, x): return x * 2
    @staticmethod
    def setup_context(ctx, inputs, output): pass
    @staticmethod
    def backward(ctx, g): return g
tryit(lambda: Bad.apply(x))
# once_differentiable
class Sq(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x); return x ** 2
    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        x, = ctx.saved_tensors
        print("grad enabled in backward", torch.is_grad_enabled(), x.requires_grad, type(g).__name__, g.requires_grad)
        return 2 * x * g
x = torch.tensor([1., 2.], requires_grad=True)
y = Sq.apply(x).sum()
(gx,) = torch.autograd.grad(y, x, create_graph=True)
print(gx, gx.requires_grad, gx.grad_fn)
tryit(lambda: gx.sum().backward())
y = Sq.apply(x).sum()
(gx,) = torch.autograd.grad(y, x)
print(gx)
# non-tensor outputs
class Multi(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2, 5, "s", x * 3
    @staticmethod
    def backward(ctx, g1, g2, g3, g4):
        print("grads", g1, g2, g3, g4)
        return g1 * 2 + g4 * 3
a, b, c, d = Multi.apply(x)
print(b, c)
(a.sum()).backward()
# set_materialize_grads
class Two(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x.clone(), x.clone()
    @staticmethod
    def backward(ctx, g1, g2):
        print("materialize", g1, g2)
        return g1 if g1 is not None else None
x.grad = None
p, q = Two.apply(x)
p.sum().backward()
print(x.grad)
x.grad=None
p, q = Two.apply(x)
tryit(lambda: q.sum().backward())
print(x.grad)
# saved_variables
class SV(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x); return x * 1
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_variables
        return g
warns(lambda: SV.apply(x).sum().backward())
# both backward and vjp
class BV(Function):
    @staticmethod
    def forward(ctx, x): return x * 1
    @staticmethod
    def backward(ctx, g): return g
    @staticmethod
    def vjp(ctx, g): return g
tryit(lambda: BV.apply(x).sum().backward())
# mark_non_differentiable
class ND(Function):
    @staticmethod
    def forward(ctx, x):
        a, b = x * 2, x.argmax()
        c = x * 3
        ctx.mark_non_differentiable(c)
        return a, b, c
    @staticmethod
    def backward(ctx, ga, gb, gc):
        print("nd grads", ga, gb, gc)
        return ga * 2
a, b, c = ND.apply(x)
print(a.requires_grad, b.requires_grad, c.requires_grad, c.grad_fn)
(a.sum() ).backward()
tryit(lambda: c.sum().backward())
"""

ONCE_DIFFERENTIABLE = """
from torch.autograd import Function
from torch.autograd.function import once_differentiable
class Sq(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x); return x ** 2
    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        x, = ctx.saved_tensors
        print("in backward", torch.is_grad_enabled(), g.requires_grad)
        return 2 * x * g
x = torch.tensor([1., 2.], requires_grad=True)
y = Sq.apply(x)
g = torch.ones(2, requires_grad=True)
(gx,) = torch.autograd.grad(y, x, g, create_graph=True)
print(gx, gx.requires_grad, gx.grad_fn.name(), gx.grad_fn.next_functions[0][0].name(), gx.is_leaf)
tryit(lambda: gx.sum().backward())
tryit(lambda: torch.autograd.grad(gx.sum(), g))
print(Sq.backward.__name__)
class Two(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3
    @staticmethod
    @once_differentiable
    def backward(ctx, g1, g2):
        return g1 * 2 + g2 * 3
a, b = Two.apply(x)
(gx,) = torch.autograd.grad((a * b).sum(), x, create_graph=True)
print(gx, gx.grad_fn.name())
tryit(lambda: gx.sum().backward())
class Half(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * y
    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        return g, None
y2 = torch.tensor([3., 4.], requires_grad=True)
out = Half.apply(x, y2)
gg = torch.ones(2, requires_grad=True)
r = torch.autograd.grad(out, (x,), gg, create_graph=True)
print(r, r[0].grad_fn.name())
"""

MARK_DIRTY = """
from torch.autograd import Function
class Inc(Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1); ctx.mark_dirty(x); return x
    @staticmethod
    def backward(ctx, g): return g * 1
a = torch.tensor([1., 2.], requires_grad=True)
b = a.clone()
v0 = b._version
c = Inc.apply(b)
print(c is b, b._version - v0, c.grad_fn.name(), b.grad_fn.name())
c.sum().backward(); print(a.grad)
tryit(lambda: Inc.apply(a))
with torch.no_grad():
    d = torch.ones(2)
print(Inc.apply(d), d.requires_grad)
# in-place without mark_dirty
class IncNoMark(Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1); return x
    @staticmethod
    def backward(ctx, g): return g
b = a.clone()
r = warns(lambda: IncNoMark.apply(b))
print(r is b if r is not None else None, r.grad_fn.name() if r is not None else None, b.grad_fn.name())
# mark_dirty but not returned
class DirtyNotReturned(Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1); ctx.mark_dirty(x); return x * 2
    @staticmethod
    def backward(ctx, g): return g
b = a.clone()
tryit(lambda: DirtyNotReturned.apply(b))
# return input unchanged without mark_dirty
class Ident(Function):
    @staticmethod
    def forward(ctx, x): return x
    @staticmethod
    def backward(ctx, g): return g * 5
b = a.clone()
r = Ident.apply(b)
print(r is b, r.grad_fn.name(), b.grad_fn.name())
r.sum().backward(); print(a.grad)
r2 = Ident.apply(a); print(r2 is a, r2.grad_fn.name())
# mark_dirty on a leaf that requires grad -> error?
class DirtyLeaf(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.mark_dirty(x); return x
    @staticmethod
    def backward(ctx, g): return g
tryit(lambda: DirtyLeaf.apply(a))
"""

SIGNATURES = """
from torch.autograd import Function
class Inc(Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1); ctx.mark_dirty(x); return x
    @staticmethod
    def backward(ctx, g): return g * 1
d = torch.ones(2)
v0 = d._version
r = Inc.apply(d)
print(r is d, d._version - v0, d.requires_grad)
class DirtyNotReturned(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.mark_dirty(x); return x * 2
    @staticmethod
    def backward(ctx, g): return g
tryit(lambda: DirtyNotReturned.apply(torch.ones(2)))
class Scale(Function):
    @staticmethod
    def forward(x, k=2.0):
        return x * k
    @staticmethod
    def setup_context(ctx, inputs, output):
        print("inputs", len(inputs), inputs[1], ctx.needs_input_grad, torch.is_grad_enabled(), output.requires_grad)
        ctx.k = inputs[1]
        ctx.set_materialize_grads(False)
    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None
x = torch.tensor([1., 2.], requires_grad=True)
y = Scale.apply(x)
print(y)
y = Scale.apply(x, 3.0)
y.backward(torch.tensor([1., -1.]))
print(x.grad)
y = Scale.apply(x, k=4.0)
print(y, y.grad_fn.name())
tryit(lambda: Scale.apply(x, 1.0, 2.0, 3.0))
class NoBackward(Function):
    @staticmethod
    def forward(ctx, x): return x * 2
tryit(lambda: NoBackward.apply(x).sum().backward())
class OnlyVjp(Function):
    @staticmethod
    def forward(ctx, x): return x * 2
    @staticmethod
    def vjp(ctx, g): return g * 7
x.grad = None
OnlyVjp.apply(x).sum().backward()
print(x.grad)
class NoForwardCtx(Function):
    @staticmethod
    def forward(x): return x * 2
    @staticmethod
    def backward(ctx, g): return g
tryit(lambda: NoForwardCtx.apply(x))
class Mixed(Function):
    @staticmethod
    def forward(ctx, x, n):
        ctx.n = n
        return x * n, n + 1, None
    @staticmethod
    def backward(ctx, gx, gn, gnone):
        print("mixed grads", gx, gn, gnone)
        return gx * ctx.n, None
a, b, c = Mixed.apply(x, 3)
print(a, b, c)
a.sum().backward()
print(x.grad)
"""

CUSTOM_VIEWS = """
from torch.autograd import Function
class Ident(Function):
    @staticmethod
    def forward(ctx, x): return x
    @staticmethod
    def backward(ctx, g): return g * 5
a = torch.tensor([1., 2.], requires_grad=True)
b = a.clone()
r = Ident.apply(b)
print(r._is_view(), r._base is b)
tryit(lambda: r.mul_(2))
class ViewOut(Function):
    @staticmethod
    def forward(ctx, x): return x.view(-1)
    @staticmethod
    def backward(ctx, g): return g.view(2)
v = ViewOut.apply(b)
print(v.grad_fn.name(), v._is_view(), v._base is b)
tryit(lambda: v.mul_(2))
class DirtyLeaf(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.mark_dirty(x); return x
    @staticmethod
    def backward(ctx, g): return g
tryit(lambda: DirtyLeaf.apply(a.view(2)))
"""


@pytest.mark.torch
@pytest.mark.parametrize("name", ["SETUP_ONCE_MATERIALIZE", "ONCE_DIFFERENTIABLE", "MARK_DIRTY",
                                  "SIGNATURES", "CUSTOM_VIEWS"])
def test_same_transcript_as_torch(name):
    torch = pytest.importorskip("torch")
    compare(globals()[name], torch)


def test_transcripts_hold_the_expected_values():
    lines = run(SETUP_ONCE_MATERIALIZE, engine).splitlines()
    assert lines[1] == "tensor([3., 6.], grad_fn=<MulBackward>) MulBackward"
    assert lines[2] == "tensor([3., 3.])"
    assert "WARN DeprecationWarning 'saved_variables' is deprecated; use 'saved_tensors'" in lines
    lines = run(ONCE_DIFFERENTIABLE, engine).splitlines()
    assert lines[1].startswith("tensor([2., 4.], grad_fn=<Error>) True torch::autograd::Error")
    assert lines[2] == ("RuntimeError trying to differentiate twice a function that was marked "
                        "with @once_differentiable")


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        assert not engine.is_grad_enabled()
        return 3 * x * x * g


def test_once_differentiable_first_derivative_and_double_backward_error():
    x = engine.tensor([1.0, -2.0], requires_grad=True)
    Cube.apply(x).sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]
    g = engine.ones(2, requires_grad=True)
    (gx,) = engine.autograd.grad(Cube.apply(x), x, g, create_graph=True)
    assert gx.tolist() == [3.0, 12.0] and gx.requires_grad
    with pytest.raises(RuntimeError, match="^trying to differentiate twice a function that was "
                                           "marked with @once_differentiable$"):
        gx.sum().backward()
    # a grad that does not require grad: plain results, as in PyTorch
    (gx,) = engine.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    assert not gx.requires_grad


def test_mark_dirty_rebases_the_input():
    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    a = engine.tensor([1.0, 3.0], requires_grad=True)
    b = a * 1
    out = Double.apply(b)
    assert out is b and b.grad_fn.name() == "DoubleBackward" and b.tolist() == [2.0, 6.0]
    (b * b).sum().backward()
    assert a.grad.tolist() == [8.0, 24.0]  # d/da (2a)^2 = 8a


def test_views_returned_by_forward_refuse_in_place_changes():
    class Same(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    b = engine.tensor([1.0, 2.0], requires_grad=True) * 1
    r = Same.apply(b)
    assert r is not b and r._base is b and r.grad_fn.name() == "SameBackward"
    with pytest.raises(RuntimeError, match="^Output 0 of Same is a view and is being modified "
                                           "inplace. This view was created inside a custom"):
        r.mul_(2)
    assert b.tolist() == [1.0, 2.0]


def test_both_backward_and_vjp_is_refused_at_backward():
    class Both(Function):
        @staticmethod
        def forward(ctx, x):
            return x + 1

        @staticmethod
        def backward(ctx, g):
            return g

        @staticmethod
        def vjp(ctx, g):
            return g

    y = Both.apply(engine.ones(1, requires_grad=True))
    with pytest.raises(RuntimeError, match="Implementing both 'backward' and 'vjp'"):
        y.backward()


def test_saved_variables_warns_each_time():
    class Keep(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 1

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_variables
            return g * x

    x = engine.tensor([5.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Keep.apply(x).backward()
    assert [type(w.message) for w in caught] == [DeprecationWarning]
    assert x.grad.tolist() == [5.0]
