"""Programs in the manner of PyTorch's own documentation and tutorials (the autograd tutorials,
the "Autograd mechanics" notes, ``torch.autograd.functional``, "Learning PyTorch with Examples",
the custom ``Function`` docs), rewritten here, run on the engine and on PyTorch 2.13: the printed
output must agree. Text (tensors' layout, ``grad_fn`` names, booleans, error messages) must be
the same; numbers may differ in their last digits only (numpy's sin and PyTorch's vectorised
one round differently), and object addresses are not compared."""

from __future__ import annotations

import contextlib
import io
import math
import re

import pytest

import engine

pytestmark = pytest.mark.torch

SNIPPETS = {}

SNIPPETS["gentle intro: Q = 3a^3 - b^2"] = """
a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
Q = 3 * a ** 3 - b ** 2
print(Q)
Q.backward(gradient=torch.tensor([1., 1.]))
print(9 * a ** 2 == a.grad, -2 * b == b.grad)
print(a.grad, b.grad)
x, y = torch.rand(5, 5), torch.rand(5, 5)
z = torch.rand((5, 5), requires_grad=True)
print((x + y).requires_grad, (x + z).requires_grad, (x + z).grad_fn)
"""

SNIPPETS["autograd basics: one layer, bce with logits"] = """
x = torch.ones(5)
y = torch.zeros(3)
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(z.grad_fn, loss.grad_fn, loss)
loss.backward()
print(w.grad)
print(b.grad)
with torch.no_grad():
    print((torch.matmul(x, w) + b).requires_grad)
print((torch.matmul(x, w) + b).detach().requires_grad)
inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
out.backward(torch.ones_like(out), retain_graph=True)
print("twice", inp.grad)
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print("after zero_", inp.grad)
try:
    loss.backward()
except RuntimeError as e:
    print(e)
"""

SNIPPETS["mechanics: saved tensors"] = """
x = torch.randn(5, requires_grad=True)
y = x.pow(2)
print(x.equal(y.grad_fn._saved_self), x is y.grad_fn._saved_self, y.grad_fn._saved_exponent)
y = x.exp()
print(y.equal(y.grad_fn._saved_result), y is y.grad_fn._saved_result)
print(y.grad_fn._saved_result.grad_fn)
y = x.pow(2)
y.sum().backward()
try:
    y.grad_fn._saved_self
except RuntimeError as e:
    print(e)
print(y.grad_fn._saved_exponent)

def pack_hook(t):
    print("Packing", t)
    return t

def unpack_hook(t):
    print("Unpacking", t)
    return t

a = torch.ones(5, requires_grad=True)
b = torch.ones(5, requires_grad=True) * 2
with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
    y = a * b
y.sum().backward()
x = torch.ones(5, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(lambda t: t * 4, lambda t: t / 4):
    y = x * x
    y.sum().backward()
print(x.grad)
x = torch.randn(3, requires_grad=True)
y = x.pow(2)
y.grad_fn._raw_saved_self.register_hooks(lambda t: t * 10, lambda t: t / 10)
y.sum().backward()
print(torch.allclose(x.grad, 2 * x))
"""

SNIPPETS["mechanics: grad modes and in-place checks"] = """
x = torch.tensor([1., 2.], requires_grad=True)
with torch.no_grad():
    print((x * 2).requires_grad)
with torch.inference_mode():
    z = x * 2
print(z.requires_grad, z.is_inference())
try:
    (z * x).sum().backward()
except RuntimeError as e:
    print(e)

@torch.no_grad()
def doubler(t):
    return t * 2

print(doubler(x).requires_grad)
with torch.set_grad_enabled(False):
    print((x * 2).requires_grad)
a = torch.randn(2, 2, requires_grad=True)
s = a.sigmoid()
s.mul_(2)
try:
    s.sum().backward()
except RuntimeError as e:
    print(e)
c = a.sin()  # sin saves its input, not its output: writing into c is allowed
c.add_(1)
c.sum().backward()
print(s._version, c._version, a.grad.shape)
"""

SNIPPETS["mechanics: tensor, node and post-accumulate hooks"] = """
a = torch.tensor([1., 2.], requires_grad=True)
b = a * 3
b.retain_grad()
handle = b.register_hook(lambda g: print("tensor hook", g) or g * 2)
c = b.sin()
c.grad_fn.register_hook(lambda gi, go: print("node hook", gi, go))
c.grad_fn.register_prehook(lambda go: print("node prehook", go))
a.register_post_accumulate_grad_hook(lambda t: print("post accumulate", t.grad))
c.sum().backward()
print(b.grad, a.grad)
print(c.grad_fn.name(), c.grad_fn.next_functions[0][0].name(), c.grad_fn.metadata)
handle.remove()
x = torch.tensor(2.0, requires_grad=True)
y = x ** 2
z = y * 3
y.register_hook(lambda g: print("y hook", g))
z.backward(retain_graph=True)
z.backward(inputs=[x], retain_graph=True)
print(x.grad, torch.autograd.grad(z, [y], retain_graph=True))
unused = torch.tensor(1.0, requires_grad=True)
try:
    torch.autograd.grad(z, [unused], retain_graph=True)
except RuntimeError as e:
    print(e)
print(torch.autograd.grad(z, [x, unused], allow_unused=True, retain_graph=True))
print(torch.autograd.grad(z, [x, unused], allow_unused=True, materialize_grads=True))
"""

SNIPPETS["torch.autograd.functional"] = """
F = torch.autograd.functional

def exp_reducer(t):
    return t.exp().sum(dim=1)

def exp_adder(u, v):
    return 2 * u.exp() + 3 * v

def pow_reducer(t):
    return t.pow(3).sum()

def pow_adder_reducer(u, v):
    return (2 * u.pow(2) + 3 * v.pow(2)).sum()

def adder(u, v):
    return 2 * u + 3 * v

x = torch.rand(2, 2)
print(F.jacobian(exp_reducer, x))
print(F.jacobian(exp_reducer, x, create_graph=True))
print(F.jacobian(exp_adder, (torch.rand(2), torch.rand(2))))
print(F.hessian(pow_reducer, x))
print(F.hessian(pow_adder_reducer, (torch.rand(2), torch.rand(2))))
x4 = torch.rand(4, 4)
print(F.vjp(exp_reducer, x4, torch.ones(4)))
print(F.vjp(exp_reducer, x4, torch.ones(4), create_graph=True))
print(F.vjp(adder, (torch.rand(2), torch.rand(2)), torch.ones(2)))
print(F.jvp(exp_reducer, x4, torch.ones(4, 4)))
print(F.jvp(exp_reducer, x4, torch.ones(4, 4), create_graph=True))
print(F.jvp(adder, (torch.rand(2), torch.rand(2)), (torch.ones(2), torch.ones(2))))
print(F.vhp(pow_reducer, x, torch.ones(2, 2)))
print(F.hvp(pow_reducer, x, torch.ones(2, 2), create_graph=True))
print(F.vhp(pow_adder_reducer, (torch.rand(2), torch.rand(2)), (torch.zeros(2), torch.ones(2))))
"""

_POLY_DATA = """
x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
"""

SNIPPETS["with examples: polynomial, grads by hand"] = _POLY_DATA + """
a, b, c, d = (torch.randn(()) for _ in range(4))
for t in range(300):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    if t % 100 == 99:
        print(t, (y_pred - y).pow(2).sum().item())
    g = 2.0 * (y_pred - y)
    a -= 1e-6 * g.sum()
    b -= 1e-6 * (g * x).sum()
    c -= 1e-6 * (g * x ** 2).sum()
    d -= 1e-6 * (g * x ** 3).sum()
print(f"y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3")
"""

SNIPPETS["with examples: polynomial, autograd"] = _POLY_DATA + """
a, b, c, d = (torch.randn((), requires_grad=True) for _ in range(4))
for t in range(300):
    loss = (a + b * x + c * x ** 2 + d * x ** 3 - y).pow(2).sum()
    if t % 100 == 99:
        print(t, loss.item())
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= 1e-6 * p.grad
            p.grad = None
print(loss, a, loss.grad_fn.next_functions[0][0])
"""

SNIPPETS["with examples: Legendre P3 as a Function"] = _POLY_DATA + """
class P3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return 0.5 * (5 * t ** 3 - 3 * t)

    @staticmethod
    def backward(ctx, grad_output):
        t, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * t ** 2 - 1)

a = torch.full((), 0.0, requires_grad=True)
b = torch.full((), -1.0, requires_grad=True)
c = torch.full((), 0.0, requires_grad=True)
d = torch.full((), 0.3, requires_grad=True)
for t in range(300):
    y_pred = a + b * P3.apply(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 99:
        print(t, loss.item())
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= 5e-6 * p.grad
            p.grad = None
print(y_pred.grad_fn.next_functions[1][0].next_functions[1][0])
"""

SNIPPETS["with examples: nn, optim and a custom Module"] = _POLY_DATA + """
xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
print(model)
loss_fn = torch.nn.MSELoss(reduction="sum")
opt = torch.optim.RMSprop(model.parameters(), lr=1e-3)
for t in range(200):
    loss = loss_fn(model(xx), y)
    if t % 100 == 99:
        print(t, loss.item())
    opt.zero_grad()
    loss.backward()
    opt.step()
print(model(xx).grad_fn, loss.grad_fn, opt)

class Cubic(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.c, self.d = (torch.nn.Parameter(torch.randn(())) for _ in range(4))

    def forward(self, t):
        return self.a + self.b * t + self.c * t ** 2 + self.d * t ** 3

m = Cubic()
opt = torch.optim.SGD(m.parameters(), lr=1e-6, momentum=0.9)
for t in range(200):
    loss = torch.nn.functional.mse_loss(m(x), y, reduction="sum")
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item(), [n for n, _ in m.named_parameters()], m.a)
"""

SNIPPETS["extending: Function with setup_context, gradcheck, double backward"] = """
class Linear(torch.autograd.Function):
    @staticmethod
    def forward(inp, weight, bias):
        out = inp.mm(weight.t())
        if bias is not None:
            out += bias.unsqueeze(0).expand_as(out)
        return out

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, g):
        inp, weight, bias = ctx.saved_tensors
        gi = gw = gb = None
        if ctx.needs_input_grad[0]:
            gi = g.mm(weight)
        if ctx.needs_input_grad[1]:
            gw = g.t().mm(inp)
        if bias is not None and ctx.needs_input_grad[2]:
            gb = g.sum(0)
        return gi, gw, gb

args = (torch.randn(4, 3, dtype=torch.double, requires_grad=True),
        torch.randn(2, 3, dtype=torch.double, requires_grad=True),
        torch.randn(2, dtype=torch.double, requires_grad=True))
out = Linear.apply(*args)
print(out, len(out.grad_fn.next_functions))
out.sum().backward()
print([t.grad for t in args])
print(torch.autograd.gradcheck(Linear.apply, args, eps=1e-6, atol=1e-4))

class Scale(torch.autograd.Function):
    @staticmethod
    def forward(t, k):
        return t * k

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.k = inputs[1]

    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None

v = torch.tensor([1., 2., 3.], requires_grad=True)
s = Scale.apply(v, 5.5)
s.backward(torch.ones(3))
print(s, v.grad)

class Cube(torch.autograd.Function):
    @staticmethod
    def forward(t):
        return t ** 3, 3 * t ** 2

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0], output[1])

    @staticmethod
    def backward(ctx, g, g_dx):
        t, dx = ctx.saved_tensors
        return g * dx + g_dx * 6 * t

v = torch.tensor([1., 2.], requires_grad=True)
r, _ = Cube.apply(v)
(g1,) = torch.autograd.grad(r.sum(), v, create_graph=True)
(g2,) = torch.autograd.grad(g1.sum(), v)
print(r, g1, g2)
"""

SNIPPETS["ctx: mark_dirty, mark_non_differentiable, materialize, once_differentiable"] = """
class Double(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        t.mul_(2)
        ctx.mark_dirty(t)
        return t

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g):
        return g * 2

a = torch.tensor([1., 2.], requires_grad=True)
b = a.clone()
c = Double.apply(b)
print(c, c is b, b._version)
c.sum().backward()
print(a.grad)
try:
    Double.apply(a)
except RuntimeError as e:
    print(e)

class SortWithIndex(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        values, idx = t.sort()
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(t, idx)
        return values, idx

    @staticmethod
    def backward(ctx, g, _):
        t, idx = ctx.saved_tensors
        return torch.zeros_like(t).index_add_(0, idx, g)

t = torch.tensor([3., 1., 2.], requires_grad=True)
v, i = SortWithIndex.apply(t)
print(v, i, i.requires_grad)
(v * torch.tensor([1., 10., 100.])).sum().backward()
print(t.grad)

class Pair(torch.autograd.Function):
    materialize = True

    @staticmethod
    def forward(ctx, t):
        ctx.set_materialize_grads(Pair.materialize)
        return t.clone(), t.clone()

    @staticmethod
    def backward(ctx, g1, g2):
        print("grads seen:", g1, g2)
        return g1 if g2 is None else g1 + 2 * g2

for flag in (False, True):
    Pair.materialize = flag
    t = torch.tensor([1., 2.], requires_grad=True)
    p, q = Pair.apply(t)
    p.sum().backward()
    print(t.grad)

class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return t.exp()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g):
        t, = ctx.saved_tensors
        return g * t.exp()

t = torch.tensor([0.5, 1.0], requires_grad=True)
(g,) = torch.autograd.grad(Exp.apply(t).sum(), t, create_graph=True)
print(g, g.requires_grad, g.grad_fn)
try:
    g.sum().backward()
except RuntimeError as e:
    print(e)
"""

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _run(code, lib):
    lib.manual_seed(0)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            exec(compile(code, "snippet", "exec"), {"torch": lib, "math": math})  # noqa: S102
        except Exception as e:  # noqa: BLE001 - an escaped error is part of the output
            print(f"{type(e).__name__}: {e}")
    return _ADDRESS.sub(" at 0x?", out.getvalue())


def _assert_same_output(got, want):
    """Same text; the numbers in it equal to a relative 2e-4 (or 1e-6 near zero)."""
    assert _NUMBER.sub("#", got) == _NUMBER.sub("#", want)
    for g, w in zip(_NUMBER.findall(got), _NUMBER.findall(want)):
        assert math.isclose(float(g), float(w), rel_tol=2e-4, abs_tol=1e-6), (g, w, got)


@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_prints_what_torch_prints(name):
    torch = pytest.importorskip("torch")
    want = _run(SNIPPETS[name], torch)
    got = _run(SNIPPETS[name], engine)
    assert "Error" not in want or name.startswith(("autograd basics", "mechanics: grad", "ctx"))
    _assert_same_output(got, want)


def test_the_comparison_sees_a_wrong_node_name_and_a_wrong_number():
    with pytest.raises(AssertionError):
        _assert_same_output("tensor(1.5, grad_fn=<MulBackward0>)",
                            "tensor(1.5, grad_fn=<AddBackward0>)")
    with pytest.raises(AssertionError):
        _assert_same_output("loss 12.2867", "loss 12.2967")
    _assert_same_output("loss 12.28667", "loss 12.28668")
