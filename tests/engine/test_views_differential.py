"""Views and in-place ops through them, run on the engine and on PyTorch: values, grads, node
names and ``next_functions``, ``_base``/``stride()``, and error classes and messages agree."""

import warnings

import pytest

import engine

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def nodes(t):
    fn = t.grad_fn
    if fn is None:
        return None
    return fn.name(), [(f.name() if f is not None else None, n) for f, n in fn.next_functions]


def outcome(f):
    try:
        return ("ok", f())
    except Exception as e:  # the class and the message are what we compare
        return (type(e).__name__, str(e))


VIEWS = ["unsqueeze(0)", "view_as(b)", "view(2)", "reshape(2)", "t()", "T", "permute(0)",
         "transpose(0, 0)", "[None]", "[...]", "[0:2]", "[1]", "unflatten(0, (2, 1))",
         "unsqueeze(1).squeeze()", "narrow(0, 1, 1)", "select(0, 0)", "flatten()",
         "view(2, 1)[1:]", "[::2]"]


@pytest.mark.parametrize("make", VIEWS)
@pytest.mark.parametrize("op", ["mul_(3)", "neg_()", "sqrt_()", "add_(y)", "copy_(y * 2)",
                                "zero_()", "fill_(2.5)", "clamp_(min=1.5)"])
def test_inplace_through_a_view(make, op):
    def program(m):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = m.tensor(0.5, requires_grad=True)
        b = x * 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            u = eval("b" + make if make.startswith("[") else "b." + make)
        eval("u." + op)
        seen = [b.tolist(), nodes(b), nodes(u), u._base is b, b._version, u._version]
        (b * b * b).sum().backward()
        return seen + [x.grad.tolist(), y.grad and y.grad.tolist()]

    assert program(engine) == program(torch)


PROGRAMS = {}


def program(f):
    PROGRAMS[f.__name__] = f
    return f


@program
def two_views_of_one_clone(m):
    root = m.zeros(2, 2, requires_grad=True)
    x = root.clone()
    v1, v2 = x.narrow(0, 0, 1), x.narrow(0, 0, 1)
    first = [nodes(v1), v1._base is x, v1._is_view()]
    v1.mul_(2)
    v2.sum().backward()
    return first + [nodes(x), nodes(v1), nodes(v2), root.grad.tolist()]


@program
def unsqueeze_mul(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    b = x * 1
    b.unsqueeze(0).mul_(3)
    (b * b).sum().backward()
    return x.grad.tolist()


@program
def base_inplace_rebases_its_views(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    b = x * 1
    e, r = b.expand(2, 2), b[1:]
    b.mul_(2)
    (e * m.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward(retain_graph=True)
    g1 = x.grad.tolist()
    x.grad = None
    (r * 5).sum().backward()
    return [nodes(e), nodes(r), g1, x.grad.tolist()]


@program
def chain_of_views(m):
    x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = x * 1
    d = b.view(4)[1:]
    d.exp_()
    e = b.t()
    (e * m.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    return [d._base is b, nodes(d), nodes(e), x.grad.tolist()]


@program
def view_writes_a_value_that_requires_grad(m):
    b = m.zeros(2)
    v, w = b[0:1], b[1:]
    y = m.ones(1, requires_grad=True)
    v.mul_(y)
    seen = [b.requires_grad, nodes(b), nodes(v), nodes(w), w.requires_grad]
    (b * m.tensor([3.0, 4.0])).sum().backward()
    return seen + [y.grad.tolist()]


@program
def copy_into_a_view(m):
    b = m.zeros(3)
    y = m.tensor([5.0, 6.0], requires_grad=True)
    b[1:].copy_(y * 2)
    (b * m.tensor([1.0, 2.0, 3.0])).sum().backward()
    return [nodes(b), b.tolist(), y.grad.tolist()]


@program
def column_times_a_vector(m):
    x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = m.tensor([1.0, 5.0], requires_grad=True)
    b = x * 1
    b[:, 1].mul_(y)
    (b ** 2).sum().backward()
    return [x.grad.tolist(), y.grad.tolist()]


@program
def setitem_through_a_view(m):
    x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = x * 1
    b[0][1] = 7
    b.sum().backward()
    return [nodes(b), x.grad.tolist()]


@program
def diagonal_view(m):
    x = m.tensor([[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]], requires_grad=True)
    (x.diagonal(1) * m.tensor([2.0, 3.0])).sum().backward()
    b = x * 1
    b.diagonal().mul_(10)
    q = m.zeros(2, 3)
    q.diagonal(-1).add_(1)
    return [nodes(x.diagonal()), x.grad.tolist(), b.tolist(), nodes(b), q.tolist()]


@program
def second_order_through_copyslices(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    b = x * 1
    b[0:1].mul_(x[1:] * 3)
    (g,) = m.autograd.grad((b ** 2).sum(), x, create_graph=True)
    (g * g).sum().backward()
    return [g.tolist(), x.grad.tolist()]


@program
def grad_of_a_shifted_product(m):
    x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = x * 1
    b[1:].mul_(x[:2])
    (g,) = m.autograd.grad(b.sum(), x)
    return g.tolist()


@program
def retain_grad_and_hooks_through_inplace(m):
    out = []
    x = m.tensor([1.0, 2.0], requires_grad=True)
    b = x * 1
    b.retain_grad()
    b[0:1].mul_(2)
    b.sum().backward()
    out.append([b.grad.tolist(), b.retains_grad])
    x = m.tensor([1.0, 2.0], requires_grad=True)
    b = x * 1
    v = b[0:1]
    v.retain_grad()
    v.mul_(3)
    (b * 2).sum().backward()
    out.append(v.grad)
    x = m.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    b = x * 1
    v = b[0:1]
    v.register_hook(lambda g: seen.append(("view", g.tolist())))
    b.register_hook(lambda g: seen.append(("base", g.tolist())))
    v.mul_(3)
    (b * 2).sum().backward()
    out.append([seen, x.grad.tolist()])
    x = m.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    b = x * 1
    b.register_hook(lambda g: seen.append(g.tolist()))
    b.retain_grad()
    b.mul_(3)
    (b * 2).sum().backward()
    out.append([seen, b.grad.tolist(), x.grad.tolist()])
    return out


@program
def errors(m):
    x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = [outcome(lambda: x[0].mul_(2)), outcome(lambda: x.view(4).mul_(2)),
           outcome(lambda: x.t().__setitem__(0, 5.0))]
    with m.no_grad():
        vv = x[0]
    out += [vv._base is x, outcome(lambda: vv.mul_(2)), outcome(lambda: vv.exp_())]
    b = x * 1
    with m.no_grad():
        vb = b[0]
    out.append(outcome(lambda: vb.add_(1)))
    for split in ("unbind()", "split(1)", "chunk(2)", "split([1, 1])", "split_with_sizes([1, 1])",
                  "unbind(1)"):
        b = x * 1
        a, c = eval("b." + split)
        out += [outcome(lambda: a.mul_(2)), outcome(lambda: c.zero_())]
    out.append(outcome(lambda: x.unbind()[0].mul_(2)))
    b = x * 1
    out.append(outcome(lambda: b.view(4).detach_()))
    out.append(outcome(lambda: m.zeros(2)[0].detach_()))
    b = x * 1
    a, c = b.unbind()
    b.mul_(2)
    out.append(outcome(lambda: (a * 1).sum().backward())[0])
    return out


@program
def no_grad_views_write_through(m):
    with m.no_grad():
        w = m.arange(4.0)
        w[1].sub_(1)
        p = m.ones(3, requires_grad=True)
        p[1].sub_(1)
        p[2:].mul_(3)
    return [w.tolist(), p.tolist(), p._version, p.grad_fn]


@program
def zero_and_fill_keep_the_graph(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    out = []
    for f in (lambda b: b.zero_(), lambda b: b.fill_(3), lambda b: b.fill_(m.tensor(2.0)),
              lambda b: b.copy_(m.tensor([5.0, 6.0]))):
        b = f(x * 1)
        out.append([nodes(b), b.requires_grad, b.tolist()])
    y = m.tensor(2.0, requires_grad=True)
    b = (x * 1).fill_(y * 3)
    b.sum().backward()
    out.append([x.grad.tolist(), y.grad.tolist()])
    return out


@program
def where_then_inplace_on_an_input(m):
    x = m.tensor([1.0, -2.0], requires_grad=True)
    v = x * 1
    y = m.where(v > 0, v, 0.1 * v)
    v.exp_()
    y.sum().backward()
    c = m.tensor([3.0, 4.0])
    w = x * 1
    z = w * c  # the constant c is saved, w is not: changing w is fine
    w.add_(1)
    z.sum().backward()
    return x.grad.tolist()


@program
def strides_and_contiguity(m):
    q = m.zeros(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [
            q.unsqueeze(1).stride(), q.t().stride(), q.expand(4, 2, 3).stride(),
            m.zeros(2, 1, 3).stride(), q[:, ::2].stride(), q[0].stride(), m.zeros(()).stride(),
            q.stride(1), q.stride(-2), q.T.stride(), q.mT.stride(),
            q.t().is_contiguous(), q.t().contiguous().stride(), q[:, ::2].is_contiguous(),
            q.is_contiguous(), q.contiguous() is q,
            nodes(m.zeros(2, 3, requires_grad=True).t().contiguous()),
            q.flatten()._base is q, q.t().flatten()._base, q.unflatten(1, (3, 1))._base is q,
            q.view_as(q)._base is q, q[None]._base is q, q[...]._base is q,
            q.diagonal()._base is q, q.detach()._base, q.detach()._is_view(),
            q.data._is_view(), q._is_view(), q.t().t()._base is q,
            [p._base is q for p in q.unbind(1)], [p._base is q for p in q.split(2, 1)],
        ]


@program
def detach_shares_the_version_and_data_does_not(m):
    q = m.zeros(3)
    d = q.detach()
    d.add_(1)
    first = [q._version, q.tolist()]
    q.data.add_(1)
    return first + [q._version, q.tolist()]


@program
def expanded_views(m):
    x = m.zeros(2)
    e = x.expand(3, 2)
    out = [outcome(lambda: e.mul_(2)), outcome(lambda: e.add_(m.ones(3, 2)))]
    e.zero_()
    e[0] = 1.0
    out.append(x.tolist())
    e.fill_(3)
    out.append(x.tolist())
    w = m.ones(2, requires_grad=True)
    out.append(outcome(lambda: w.expand(2, 2).mul_(2)))
    return out


@program
def unsafe_split_outputs_are_not_views(m):
    x = m.zeros(4, requires_grad=True)
    b = x * 1
    a, c = b.unsafe_split(2)
    first = [a._base is b, a._is_view(), nodes(a)]
    a.mul_(2)
    (a.sum() + c.sum()).backward()
    return first + [nodes(a), nodes(b), x.grad.tolist()]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert PROGRAMS[name](engine) == PROGRAMS[name](torch)
