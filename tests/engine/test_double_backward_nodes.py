"""tanh's and sigmoid's backward recorded as one node each under create_graph
(TanhBackwardBackward0, SigmoidBackwardBackward0): the first grads keep the plain backward's
values bit for bit, the nodes are named and wired as PyTorch's, and their own derivatives (second
and third order, and with respect to the incoming grad) agree with finite differences."""

import numpy as np
import pytest

import engine

FNS = {"tanh": lambda x: x.tanh(), "sigmoid": lambda x: x.sigmoid()}
NODE = {"tanh": "TanhBackwardBackward0", "sigmoid": "SigmoidBackwardBackward0"}
# hand-derived: f' and f'' of tanh and sigmoid
D1 = {"tanh": lambda x: 1 - np.tanh(x) ** 2,
      "sigmoid": lambda x: _sig(x) * (1 - _sig(x))}
D2 = {"tanh": lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
      "sigmoid": lambda x: _sig(x) * (1 - _sig(x)) * (1 - 2 * _sig(x))}


def _sig(x):
    return 1 / (1 + np.exp(-x))


X = np.array([-2.5, -0.7, 0.0, 0.3, 1.9], np.float64)


def _x(dtype=engine.float64):
    return engine.tensor(X, dtype=dtype, requires_grad=True)


@pytest.mark.parametrize("name", FNS)
@pytest.mark.parametrize("dtype", [engine.float32, engine.float64])
def test_first_grad_is_bit_identical_to_the_plain_backward(name, dtype):
    x = _x(dtype)
    w = engine.tensor([0.5, -1.5, 2.0, 0.25, -3.0], dtype=dtype)
    (plain,) = engine.autograd.grad((FNS[name](x * 1.5) * w).sum(), x)
    (graph,) = engine.autograd.grad((FNS[name](x * 1.5) * w).sum(), x, create_graph=True)
    assert graph.dtype == dtype
    assert np.array_equal(plain.numpy(), graph.detach().numpy())
    # the plain backward's own expression, in its order and dtype: the values it always gave
    y = FNS[name](x * 1.5).detach().numpy()
    gy = np.ones_like(y) * w.numpy()
    local = gy * (1.0 - y * y) if name == "tanh" else gy * y * (1.0 - y)
    assert np.array_equal(graph.detach().numpy(), local * 1.5)
    assert np.allclose(graph.detach().numpy(), 1.5 * D1[name](1.5 * X) * w.numpy(),
                       rtol=1e-4 if dtype == engine.float32 else 1e-12, atol=1e-6)


@pytest.mark.parametrize("name", FNS)
def test_one_node_named_as_pytorch(name):
    x = _x()
    (g,) = engine.autograd.grad(FNS[name](x).sum(), x, create_graph=True)
    fn = g.grad_fn
    assert fn.name() == NODE[name] and type(fn).__name__ == NODE[name]
    first, second = fn.next_functions
    assert first == (None, 0)  # the seed of ones does not require grad
    assert second[0].name() == NODE[name].replace("BackwardBackward0", "Backward0")
    assert second[0].next_functions[0][0].variable is x


@pytest.mark.parametrize("name", FNS)
def test_second_derivative_matches_hand_derived_and_finite_differences(name):
    x = _x()
    v = np.array([0.3, -1.0, 2.0, 0.5, -0.25])
    (g,) = engine.autograd.grad(FNS[name](x).sum(), x, create_graph=True)
    (hv,) = engine.autograd.grad((g * engine.tensor(v)).sum(), x)
    assert np.allclose(hv.numpy(), D2[name](X) * v, rtol=1e-12, atol=1e-15)
    h = 1e-6
    fd = (D1[name](X + h) - D1[name](X - h)) / (2 * h) * v
    assert np.allclose(hv.numpy(), fd, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", FNS)
def test_third_derivative_through_the_fused_node(name):
    x = _x()
    (g,) = engine.autograd.grad(FNS[name](x).sum(), x, create_graph=True)
    (g2,) = engine.autograd.grad(g.sum(), x, create_graph=True)
    (g3,) = engine.autograd.grad(g2.sum(), x)
    h = 1e-5
    fd = (D2[name](X + h) - D2[name](X - h)) / (2 * h)
    assert np.allclose(g3.numpy(), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", FNS)
def test_derivative_with_respect_to_the_incoming_grad(name):
    """The node is linear in its incoming grad: d/dg of sum(node(g, y) * u) is f'(x) * u, and
    differentiating it again goes through the same node kind."""
    x = _x()
    y = FNS[name](x)
    gout = engine.tensor([1.0, 2.0, -1.0, 0.5, 3.0], dtype=engine.float64, requires_grad=True)
    (gx,) = engine.autograd.grad(y, x, gout, create_graph=True)
    assert gx.grad_fn.name() == NODE[name]
    assert gx.grad_fn.next_functions[0][0].variable is gout
    u = np.array([0.5, 0.5, -2.0, 1.0, 0.1])
    dg, dx = engine.autograd.grad((gx * engine.tensor(u)).sum(), (gout, x), create_graph=True)
    assert np.allclose(dg.detach().numpy(), D1[name](X) * u, rtol=1e-12)
    assert dg.grad_fn.name() == NODE[name]
    assert np.allclose(dx.detach().numpy(), D2[name](X) * gout.detach().numpy() * u,
                       rtol=1e-12, atol=1e-15)


def test_hvp_of_the_bench_workload_matches_finite_differences():
    """sum(tanh(x)³ · x): H·v against central differences of the gradient."""
    x = _x()
    v = np.array([0.3, -1.0, 2.0, 0.5, -0.25])
    (g,) = engine.autograd.grad((x.tanh() ** 3 * x).sum(), x, create_graph=True)
    (hv,) = engine.autograd.grad((g * engine.tensor(v)).sum(), x)

    def grad(z):
        t = np.tanh(z)
        return 3 * t**2 * (1 - t**2) * z + t**3

    h = 1e-6
    fd = (grad(X + h * v) - grad(X - h * v)) / (2 * h)
    assert np.allclose(hv.numpy(), fd, rtol=1e-6, atol=1e-9)


@pytest.mark.torch
@pytest.mark.parametrize("build", [
    lambda x: x.tanh(), lambda x: x.sigmoid(), lambda x: x.tanh() ** 3 * x,
    lambda x: (x * 2.0).sigmoid().tanh()])
def test_graph_names_and_values_match_pytorch(build):
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.tensor(X.astype(np.float32), requires_grad=True)
        v = lib.tensor(np.array([0.3, -1.0, 2.0, 0.5, -0.25], np.float32))
        (g,) = lib.autograd.grad(build(x).sum(), x, create_graph=True)
        names, fn = [], g.grad_fn
        for _ in range(3):
            names.append([None if f is None else f.name() for f, _ in fn.next_functions])
            nxt = [f for f, _ in fn.next_functions if f is not None and f.next_functions]
            if not nxt:
                break
            fn = nxt[-1]
        (hv,) = lib.autograd.grad((g * v).sum(), x)
        return g.grad_fn.name(), names, g.detach().numpy(), hv.numpy()

    ours, theirs = run(engine), run(torch)
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]
    assert np.allclose(ours[2], theirs[2], rtol=1e-5, atol=1e-6)
    assert np.allclose(ours[3], theirs[3], rtol=1e-4, atol=1e-5)
