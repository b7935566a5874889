"""Hooks as PyTorch 2.13 runs them: post-accumulate-grad hooks, hooks called with None, which
hooks autograd.grad(inputs=) runs, torch.autograd.graph, calling a grad_fn, nn.Module hooks."""

from __future__ import annotations

import pytest

import engine
from differential import compare, run
from engine.autograd.graph import get_gradient_edge, register_multi_grad_hook

POST_ACCUMULATE_AND_INPUTS = """
a = torch.tensor([1., 2.], requires_grad=True)
b = torch.tensor([3., 4.], requires_grad=True)
log = []
a.register_post_accumulate_grad_hook(lambda t: print("post acc a", t.grad, t is a))
h = b.register_post_accumulate_grad_hook(lambda t: print("post acc b", t.grad))
a.register_hook(lambda g: print("hook a", g))
b.register_hook(lambda g: print("hook b", g))
y = (a * b).sum()
y.backward(retain_graph=True)
h.remove()
print("--- grad wrt a only")
print(torch.autograd.grad(y, a, retain_graph=True))
print("--- backward inputs=a")
y.backward(inputs=[a], retain_graph=True)
m = a * 2
tryit(lambda: m.register_post_accumulate_grad_hook(lambda t: None))
c = torch.tensor([1.], requires_grad=False)
tryit(lambda: c.register_post_accumulate_grad_hook(lambda t: None))
a.register_post_accumulate_grad_hook(lambda t: 5)
tryit(lambda: (a * 1).sum().backward())
print("--- non-leaf hooks with grad inputs")
a2 = torch.tensor([1., 2.], requires_grad=True)
b2 = torch.tensor([3., 4.], requires_grad=True)
p = a2 * 3
q = b2 * 5
p.register_hook(lambda g: print("hook p", g))
q.register_hook(lambda g: print("hook q", g))
z = (p * q).sum()
print(torch.autograd.grad(z, p, retain_graph=True))
print(torch.autograd.grad(z, a2, retain_graph=True))
p.grad_fn.register_prehook(lambda go: print("prehook p node", go))
q.grad_fn.register_hook(lambda gi, go: print("posthook q node", gi, go))
print(torch.autograd.grad(z, a2, retain_graph=True))
z.backward(inputs=[b2])
print(a2.grad, b2.grad)
"""

GRAPH_API = """
from torch.autograd.graph import GradientEdge, get_gradient_edge, register_multi_grad_hook, increment_version
a = torch.tensor([1., 2.], requires_grad=True)
b = a * 2
e = get_gradient_edge(b)
print(type(e).__name__, e.node.name(), e.output_nr, isinstance(e, tuple), e._fields)
ea = get_gradient_edge(a)
print(ea.node.name(), ea.output_nr)
tryit(lambda: get_gradient_edge(torch.ones(2)))
c = b.sum()
print(torch.autograd.grad(c, e, retain_graph=True))
print(torch.autograd.grad(c, (ea, b), retain_graph=True))
# multi grad hook
x = torch.tensor([1., 2.], requires_grad=True)
y = torch.tensor([3., 4.], requires_grad=True)
z = torch.tensor([5.], requires_grad=True)
def hook_all(grads):
    print("all", grads)
h = register_multi_grad_hook((x, y, z), hook_all)
print(type(h).__name__)
(x * y).sum().backward(retain_graph=True)
(x * 2).sum().backward()
h.remove()
(x * 2).sum().backward()
def hook_any(g):
    print("any", g)
h2 = register_multi_grad_hook((x, y), hook_any, mode="any")
(x * y).sum().backward()
tryit(lambda: register_multi_grad_hook((x,), hook_any, mode="bad"))
# increment_version
t = torch.ones(2)
v = t._version
increment_version(t)
print(t._version - v)
increment_version([t, t])
print(t._version - v)
w = torch.tensor([1., 2.], requires_grad=True)
s = w.exp()
increment_version(s)
tryit(lambda: s.sum().backward())
"""

HOOKS_SEE_NONE = """
from torch.autograd import Function
class DropGrad(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * y
    @staticmethod
    def backward(ctx, g):
        return None, g
a = torch.tensor([1., 2.], requires_grad=True)
b = torch.tensor([3., 4.], requires_grad=True)
p = a * 1
p.register_hook(lambda g: print("hook p", g))
a.register_hook(lambda g: print("hook a", g))
a.register_post_accumulate_grad_hook(lambda t: print("post a", t.grad))
p.grad_fn.register_prehook(lambda go: print("prehook p", go))
p.grad_fn.register_hook(lambda gi, go: print("posthook p", gi, go))
acc = p.grad_fn.next_functions[0][0]
acc.register_prehook(lambda go: print("prehook acc", go))
acc.register_hook(lambda gi, go: print("posthook acc", gi, go))
out = DropGrad.apply(p, b)
out.sum().backward()
print(a.grad, b.grad)
u, v = torch.tensor([1., 2.], requires_grad=True).unbind()
u.register_hook(lambda g: print("hook u", g))
v.grad_fn.register_prehook(lambda go: print("prehook unbind", go))
v.grad_fn.register_hook(lambda gi, go: print("posthook unbind", gi, go))
(v * 2).backward()
"""

CALL_GRAD_FN = """
from torch.autograd import Function
a = torch.tensor([1., 2.], requires_grad=True)
b = torch.tensor([3., 4.], requires_grad=True)
y = a * b
r = y.grad_fn(torch.ones(2))
print(type(r).__name__, r)
print(y.grad_fn(torch.tensor([1., -1.])))
z = a.exp()
print(z.grad_fn(torch.ones(2)))
s = (a * 2).sum()
print(s.grad_fn(torch.tensor(3.)))
w = a * 3
print(w.grad_fn(torch.ones(2)))
tryit(lambda: y.grad_fn(torch.ones(2), torch.ones(2)))
y2 = a * b
y2.sum().backward()
tryit(lambda: y2.grad_fn(torch.ones(2)))
class Two(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3
    @staticmethod
    def backward(ctx, g1, g2):
        print("custom backward called", g1, g2)
        return g1 * 2 + g2 * 3
p, q = Two.apply(a)
print(p.grad_fn.apply(torch.ones(2), torch.ones(2)))
class Pass(Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()
    @staticmethod
    def backward(ctx, g):
        print("pass backward", g)
        return g
class DropGrad(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * y
    @staticmethod
    def backward(ctx, g):
        return None, g
m = Pass.apply(a)
DropGrad.apply(m, b).sum().backward()
print(a.grad)
"""

MODULE_HOOKS = """
import torch.nn as nn
class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([2., 3.]))
    def forward(self, x, y=None):
        out = x * self.w
        return out if y is None else out + y
m = Scale()
def bh(mod, gin, gout):
    print("full backward hook", type(mod).__name__, gin, gout)
def bph(mod, gout):
    print("backward pre hook", gout)
h1 = m.register_full_backward_hook(bh)
h2 = m.register_full_backward_pre_hook(bph)
x = torch.tensor([1., 1.], requires_grad=True)
out = m(x)
print(out.grad_fn.name(), out.grad_fn.next_functions[0][0].name())
out.sum().backward()
print(x.grad, m.w.grad)
xc = torch.tensor([1., 1.])
out = m(xc)
out.sum().backward()
h2.remove()
m.register_full_backward_hook(lambda mod, gin, gout: (gin[0] * 10,))
x.grad = None
m(x).sum().backward()
print(x.grad)
h1.remove()
def fpre(mod, args, kwargs):
    print("pre kw", args, kwargs)
    return (args[0] * 2,), {"y": torch.ones(2)}
def fhook(mod, args, kwargs, out):
    print("fwd kw", args, kwargs, out)
    return out + 100
m2 = Scale()
hp = m2.register_forward_pre_hook(fpre, with_kwargs=True)
hf = m2.register_forward_hook(fhook, with_kwargs=True)
print(m2(torch.ones(2)))
hp.remove(); hf.remove()
m2.register_forward_pre_hook(lambda mod, args: print("pre", args))
m2.register_forward_pre_hook(lambda mod, args: print("pre first"), prepend=True)
m2.register_forward_hook(lambda mod, args, out: print("fwd", out))
m2.register_forward_hook(lambda mod, args, out: print("fwd first"), prepend=True)
print(m2(torch.ones(2)))
class Boom(nn.Module):
    def forward(self, x):
        raise ValueError("boom")
b = Boom()
b.register_forward_hook(lambda mod, args, out: print("always", out), always_call=True)
b.register_forward_hook(lambda mod, args, out: print("not always", out))
tryit(lambda: b(torch.ones(1)))
"""

SAVED_TENSORS_HOOKS = """
from torch.autograd.graph import saved_tensors_hooks, save_on_cpu
from torch.autograd import Function
def pack(t):
    print("pack", t)
    return t * 1
def unpack(t):
    print("unpack", t)
    return t
a = torch.tensor([1., 2.], requires_grad=True)
b = torch.tensor([3., 4.], requires_grad=True)
with saved_tensors_hooks(pack, unpack):
    y = a.sin()
    z = y.exp()
    w = a + b
print("forward done")
(z.sum() + w.sum()).backward()
print(a.grad, b.grad)
with saved_tensors_hooks(lambda t: (t.shape, t.clone()), lambda p: p[1] * 10):
    y = a * b
a.grad = None
y.sum().backward()
print(a.grad)
with saved_tensors_hooks(lambda t: None, lambda p: p):
    y = a.sin()
tryit(lambda: y.sum().backward())
class F(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        print("custom got", x)
        return g * x
with saved_tensors_hooks(lambda t: ("packed", t), lambda p: p[1] + 100):
    out = F.apply(a)
out.sum().backward()
with save_on_cpu():
    y = (a * b).sum()
y.backward()
print(a.grad)
with saved_tensors_hooks(pack, unpack):
    with saved_tensors_hooks(lambda t: print("inner pack") or t, lambda t: print("inner unpack") or t):
        y = a * b
y.sum().backward()
with saved_tensors_hooks(lambda t: t.clone(), lambda t: t):
    y = a.exp()
a.mul_(1) if False else None
y2 = (a * 2)
with saved_tensors_hooks(lambda t: t.clone(), lambda t: t):
    q = y2.sin()
y2.add_(1)
tryit(lambda: q.sum().backward())
x2 = torch.tensor([0.5, 1.5], requires_grad=True)
with saved_tensors_hooks(lambda t: t * 1, lambda t: t):
    r = (x2 ** 3).sum()
(g,) = torch.autograd.grad(r, x2, create_graph=True)
print(g)
g.sum().backward()
print(x2.grad)
"""


@pytest.mark.torch
@pytest.mark.parametrize("name", list(n for n in dir() if n.isupper() and n[0] != "_"))
def test_same_transcript_as_torch(name):
    torch = pytest.importorskip("torch")
    compare(globals()[name], torch)


def test_transcripts_hold_hand_derived_values():
    lines = run(POST_ACCUMULATE_AND_INPUTS, engine).splitlines()
    # d(sum(a*b))/da = b, /db = a; the hook sees .grad already written
    assert lines[:4] == ["hook a tensor([3., 4.])", "post acc a tensor([3., 4.]) True",
                         "hook b tensor([1., 2.])", "post acc b tensor([1., 2.])"]
    lines = run(HOOKS_SEE_NONE, engine).splitlines()
    assert lines[0] == "hook p None" and "hook a None" in lines
    lines = run(MODULE_HOOKS, engine).splitlines()
    assert lines[7] == "tensor([20., 30.])"  # the hook scaled grad_input by 10


def test_post_accumulate_hook_is_not_run_by_autograd_grad():
    a = engine.tensor([2.0], requires_grad=True)
    seen = []
    a.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.item()))
    (g,) = engine.autograd.grad((a * a).sum(), a)
    assert g.item() == 4.0 and seen == []
    (a * a).sum().backward()
    (a * 3).sum().backward()
    assert seen == [4.0, 7.0]


def test_multi_grad_hook_all_waits_for_every_reached_tensor():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = engine.tensor([3.0], requires_grad=True)
    unused = engine.tensor([0.0], requires_grad=True)
    calls = []
    handle = register_multi_grad_hook((x, y, unused),
                                      lambda gs: calls.append([None if g is None else g.tolist()
                                                               for g in gs]))
    (x * y).sum().backward()
    assert calls == [[[3.0, 3.0], [3.0], None]]
    (x * y).sum().backward(inputs=[y])
    assert calls[-1] == [None, [3.0], None]
    handle.remove()
    (x * y).sum().backward()
    assert len(calls) == 2


def test_grad_through_a_gradient_edge_of_an_intermediate():
    a = engine.tensor([1.0, 2.0], requires_grad=True)
    b = a.exp()
    edge = get_gradient_edge(b)
    loss = (b * b).sum()
    (g,) = engine.autograd.grad(loss, edge)
    assert g.tolist() == pytest.approx((2 * b.detach()).tolist())


def test_calling_a_grad_fn_gives_its_input_grads():
    a = engine.tensor([1.0, 2.0], requires_grad=True)
    b = engine.tensor([3.0, -4.0], requires_grad=True)
    ga, gb = (a * b).grad_fn(engine.tensor([1.0, 0.5]))
    assert ga.tolist() == [3.0, -2.0] and gb.tolist() == [1.0, 1.0]
    y = a * b
    with engine.no_grad():
        ga, gb = y.grad_fn(engine.ones(2))
    assert ga.grad_fn is None and ga.tolist() == [3.0, -4.0]


def test_saved_tensors_hooks_change_what_backward_reads():
    import sys

    from engine.autograd.graph import saved_tensors_hooks

    a = engine.tensor([1.0, 2.0], requires_grad=True)
    b = engine.tensor([3.0, 4.0], requires_grad=True)
    packed = []
    with saved_tensors_hooks(lambda t: packed.append(t.tolist()) or t.detach() * 10,
                             lambda p: p):
        y = (a * b).sum()
    assert sorted(packed) == [[1.0, 2.0], [3.0, 4.0]]
    y.backward()
    assert a.grad.tolist() == [30.0, 40.0] and b.grad.tolist() == [10.0, 20.0]
    assert sys.modules["engine.dispatch"]._pack_saved is None
