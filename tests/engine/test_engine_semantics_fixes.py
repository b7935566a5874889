"""Engine behaviours checked against PyTorch 2.13: dim=0/-1 on 0-d tensors, std/var/norm
gradients where the deviation (or the norm) is 0, relu/elu/rsqrt under create_graph, float32
grads for maximum's hooks, hardtanh/sinh/atan, and where advanced indices put their dims."""

from __future__ import annotations

import math

import pytest

import engine
import engine.nn.functional as engine_F

ZERO_DIM_OPS = {
    "sum": lambda t: t.sum(0), "sum_keepdim": lambda t: t.sum(0, keepdim=True),
    "mean": lambda t: t.mean(-1), "mean_tuple": lambda t: t.mean((0,), keepdim=True),
    "prod": lambda t: t.prod(0), "amax": lambda t: t.amax(0), "amin": lambda t: t.amin(-1),
    "argmax": lambda t: t.argmax(0), "argmin": lambda t: t.argmin(-1),
    "norm": lambda t: t.norm(dim=0), "norm3": lambda t: t.norm(3, dim=0),
    "std_unbiased0": lambda t: t.std(0, unbiased=False), "all": lambda t: t.all(0),
    "any": lambda t: t.any(-1), "softmax": lambda t: t.softmax(0),
    "log_softmax": lambda t: t.log_softmax(-1), "t": lambda t: t.t(),
    "transpose": lambda t: t.transpose(0, -1), "swapaxes": lambda t: t.swapaxes(0, 0),
    "max": lambda t: t.max(0), "min": lambda t: t.min(-1), "cumsum": lambda t: t.cumsum(0),
    "flip": lambda t: t.flip(0), "squeeze": lambda t: t.squeeze(0),
    "logsumexp": lambda t: t.logsumexp(0), "gather": lambda t: t.gather(0, t.new_index()),
    "index_select": lambda t: t.index_select(0, t.new_index(1)),
    "sort": lambda t: t.sort(0), "topk": lambda t: t.topk(1, 0),
}
ZERO_DIM_ERRORS = {
    "sum1": lambda t: t.sum(1), "size": lambda t: t.size(-1), "unbind": lambda t: t.unbind(0),
    "split": lambda t: t.split(1, 0), "chunk": lambda t: t.chunk(1, 0),
    "select": lambda t: t.select(0, 0), "narrow": lambda t: t.narrow(0, 0, 1),
    "cat": lambda t: t.cat_self(),
}


def _zero_dim(lib):
    t = lib.tensor(3.0, requires_grad=True) * 1
    t.__dict__["new_index"] = lambda n=0: lib.tensor(0) if n == 0 else lib.tensor([0])
    t.__dict__["cat_self"] = lambda: lib.cat([t])
    return t


def _describe(r):
    parts = r if isinstance(r, tuple) else (r,)
    return [(repr(p.detach()), str(p.dtype)) for p in parts]


@pytest.mark.parametrize("name", sorted(ZERO_DIM_OPS))
def test_zero_dim_tensor_accepts_dim_0_and_minus_1(name):
    out = ZERO_DIM_OPS[name](_zero_dim(engine))
    for p in out if isinstance(out, tuple) else (out,):
        assert p.shape in ((), (1,))


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(ZERO_DIM_OPS))
def test_zero_dim_ops_match_pytorch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = (ZERO_DIM_OPS[name](_zero_dim(lib)) for lib in (engine, torch))
    assert _describe(ours) == _describe(theirs)


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(ZERO_DIM_ERRORS))
def test_zero_dim_errors_match_pytorch(name):
    torch = pytest.importorskip("torch")
    caught = []
    for lib in (engine, torch):
        with pytest.raises(Exception) as info:
            ZERO_DIM_ERRORS[name](_zero_dim(lib))
        caught.append((type(info.value).__name__, str(info.value)))
    assert caught[0] == caught[1]


def test_std_grad_is_zero_where_the_deviation_is_zero():
    x = engine.tensor([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]], requires_grad=True)
    x.std(1).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 0.0], [-0.5, 0.0, 0.5]]
    y = engine.tensor([2.0, 2.0, 2.0], requires_grad=True)
    (g,) = engine.autograd.grad(y.std(), y, create_graph=True)
    assert g.tolist() == [0.0, 0.0, 0.0]


def test_p_norm_grad_at_zero_and_node():
    x = engine.tensor([0.0, 0.0], requires_grad=True)
    n = x.norm(3)
    assert type(n.grad_fn).__name__ == "LinalgVectorNormBackward0"
    n.backward()
    assert x.grad.tolist() == [0.0, 0.0]
    y = engine.tensor([0.0, -2.0, 1.0], requires_grad=True)
    y.norm(1).backward()
    assert y.grad.tolist() == [0.0, -1.0, 1.0]
    z = engine.tensor([3.0, -4.0], dtype=engine.float64, requires_grad=True)
    z.norm(3).backward()  # d/dz (sum |z|^3)^(1/3) = z |z| / norm^2
    norm = (27 + 64) ** (1 / 3)
    assert z.grad.tolist() == pytest.approx([9 / norm**2, -16 / norm**2])


def test_relu_grad_under_create_graph_is_differentiable():
    x = engine.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (g,) = engine.autograd.grad(x.relu().sum(), x, create_graph=True)
    assert g.requires_grad and type(g.grad_fn).__name__ == "ThresholdBackwardBackward0"
    g.sum().backward()  # relu'' = 0
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_rsqrt_hook_sees_the_second_backward():
    x = engine.tensor([0.5, 2.0], requires_grad=True)
    y = x.rsqrt()
    assert type(y.grad_fn).__name__ == "RsqrtBackward0"
    y.register_hook(lambda g: g * 3)
    (g,) = engine.autograd.grad(y.sum(), x, create_graph=True)
    g.sum().backward()
    # g = 3 * -x^-1.5 / 2; its backward passes through y's saved result (hooked again: x3)
    assert x.grad.tolist() == pytest.approx([3 * 2.25 * 0.5**-2.5, 3 * 2.25 * 2.0**-2.5],
                                            rel=1e-6)


def test_elu_second_derivative():
    x = engine.tensor([0.0, -1.0, 1.0], requires_grad=True)
    (g,) = engine.autograd.grad(engine_F.elu(x, 0.5).sum(), x, create_graph=True)
    assert type(g.grad_fn).__name__ == "EluBackwardBackward0"
    assert g.tolist() == pytest.approx([0.5, 0.5 * math.exp(-1), 1.0])
    g.sum().backward()
    assert x.grad.tolist() == pytest.approx([0.0, 0.5 * math.exp(-1), 0.0])


def test_maximum_grads_keep_float32():
    a = engine.tensor([1.0, 5.0], requires_grad=True)
    b = engine.tensor([3.0, 5.0], requires_grad=True)
    seen = []
    a.register_hook(lambda g: seen.append(g.dtype))
    b.register_hook(lambda g: seen.append(g.dtype))
    engine.maximum(a, b).sum().backward()
    assert seen == [engine.float32, engine.float32]
    assert a.grad.tolist() == [0.0, 0.5] and b.grad.tolist() == [1.0, 0.5]


def test_hardtanh_sinh_atan():
    x = engine.tensor([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0], requires_grad=True)
    y = engine_F.hardtanh(x)
    assert y.tolist() == [-1.0, -1.0, 0.0, 0.5, 1.0, 1.0]
    assert type(y.grad_fn).__name__ == "HardtanhBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    z = engine.tensor([-2.0, 0.0, 0.5], requires_grad=True)
    (z.sinh() + z.atan()).sum().backward()
    assert z.grad.tolist() == pytest.approx([math.cosh(-2) + 1 / 5, 2.0, math.cosh(0.5) + 0.8])
    assert engine.sinh(engine.tensor([1, 2])).dtype == engine.float32
    assert engine.atan(engine.tensor([1])).tolist() == pytest.approx([math.pi / 4])


INDEXING = [
    "x[1, :, 3:11:2, d, 0:2]", "x[:, d, :, 0]", "x[:, d, 1:3, d]", "x[0, :, :, [1, 2]]",
    "x[..., [1, 2], 0]", "x[None, :, [1], :, [1]]", "x[:, m, 1:3]", "x[1, m, 1:3, [0, 1, 2]]",
    "x[1, :, 1, m]", "x[:, :, torch.tensor(1)]", "x[:, [0], :, torch.tensor(1)]",
    "x[[1], :, [0]]", "x[1, ..., [0, 2]]",
]


def _index(lib, expr):
    x = lib.zeros(2, 5, 6, 5, 3, 4)
    d = lib.zeros(2, 1, 5, 1, 1, dtype=lib.long)
    m = lib.tensor([True, False, True, True, False])
    return eval(expr, {"torch": lib, "x": x, "d": d, "m": m})


def test_integer_indices_are_selected_before_placing_advanced_dims():
    assert tuple(_index(engine, INDEXING[0]).shape) == (5, 2, 2, 1, 5, 1, 1, 2, 4)
    assert tuple(_index(engine, INDEXING[3]).shape) == (5, 6, 2, 3, 4)
    assert tuple(_index(engine, INDEXING[8]).shape) == (5, 3, 3, 4)


@pytest.mark.torch
@pytest.mark.parametrize("expr", INDEXING)
def test_advanced_index_shapes_match_pytorch(expr):
    torch = pytest.importorskip("torch")
    assert tuple(_index(engine, expr).shape) == tuple(_index(torch, expr).shape)


@pytest.mark.torch
def test_mixed_index_values_and_grads_match_pytorch():
    torch = pytest.importorskip("torch")
    import numpy as np

    data = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    results = []
    for lib in (engine, torch):
        x = lib.tensor(data, requires_grad=True)
        y = x[1, :, [0, 2, 2], 1:4]
        (y * y).sum().backward()
        results.append((y.detach().numpy().copy(), x.grad.numpy().copy(),
                        type(y.grad_fn).__name__))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert results[0][2] == results[1][2]


# found by the differential fuzzer: numpy's wording and behaviour where PyTorch has its own
FUZZ_FOUND = [
    "torch.zeros(3, 1)[:, [1, 0]]", "torch.zeros(3, 4)[[0], [7]]", "torch.zeros(3)[:, [0]]",
    "torch.zeros(3, 4)[torch.tensor([[0, 4]]), 0]", "torch.tensor([1.])[torch.tensor([True, False])]",
    "torch.zeros(2, 3)[torch.tensor([True, False, True])]", "torch.tensor(1.)[0]",
    "torch.tensor(1.)[1:]", "torch.tensor(1.)[[0]]", "torch.tensor(1.)[..., :1]",
    "torch.tensor(1.)[torch.tensor(0)]", "torch.tensor([1, 2]).norm()", "torch.tensor([1, 2]).std()",
    "torch.tensor([True]) - True", "torch.tensor([1.]) - True", "True - torch.tensor([1.])",
    "torch.tensor([1]) - torch.tensor([True])", "-torch.tensor([True])",
    "torch.tensor([True]).abs()", "torch.tensor([True]).relu()", "torch.tensor([True]).round()",
    "torch.tensor([True]) ** torch.tensor([True])", "F.elu(torch.tensor([1]))",
    "F.gelu(torch.tensor([True]))", "F.hardtanh(torch.tensor([True]))",
    "torch.tensor(1.).permute()", "torch.zeros(2, 0).min(1)",
    "(x ** (x > 0)).sum().backward()",
]
FUZZ_FOUND_VALUES = [
    "torch.tensor([True]).sign()", "torch.tensor([True]).add(torch.tensor([True]), alpha=2)",
    "x.log1p()", "x.expm1()", "x.logsumexp(0)", "torch.tensor([-float('inf')] * 2).logsumexp(0)",
    "x[torch.tensor(0)]", "x.narrow(0, 0, 2)", "torch.tensor(2., requires_grad=True).t()",
    "torch.zeros(3, 4, requires_grad=True)[0, [1, 2]]",
]


def _fuzz_eval(lib, expr):
    x = lib.tensor([1.5, -0.5], requires_grad=True)
    F = lib.nn.functional
    return eval(expr, {"torch": lib, "F": F, "x": x})


@pytest.mark.torch
@pytest.mark.parametrize("expr", FUZZ_FOUND)
def test_fuzz_found_errors_match_pytorch(expr):
    torch = pytest.importorskip("torch")
    caught = []
    for lib in (engine, torch):
        with pytest.raises(Exception) as info:
            _fuzz_eval(lib, expr)
        caught.append((type(info.value).__name__, str(info.value).split("\n")[0]))
    assert caught[0] == caught[1]


@pytest.mark.torch
@pytest.mark.parametrize("expr", FUZZ_FOUND_VALUES)
def test_fuzz_found_values_and_nodes_match_pytorch(expr):
    torch = pytest.importorskip("torch")
    ours, theirs = (_fuzz_eval(lib, expr) for lib in (engine, torch))
    assert (repr(ours.detach()), str(ours.dtype), type(ours.grad_fn).__name__) == (
        repr(theirs.detach()), str(theirs.dtype), type(theirs.grad_fn).__name__)


def test_zero_dim_t_backward_and_softmax_backward():
    x = engine.tensor(0.25, requires_grad=True)
    x.t().backward()
    assert x.grad.item() == 1.0
    y = engine.tensor(0.25, requires_grad=True)
    y.log_softmax(-1).backward()
    assert y.grad.item() == 0.0


def test_retained_grad_is_filled_by_autograd_grad():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    engine.autograd.grad(y.sum(), [x])
    assert y.grad.tolist() == [1.0, 1.0]


def test_prod_second_derivative_at_a_zero():
    # d/dx_i of prod = product of the others; its own derivative is not 0 where x has a zero
    x = engine.tensor([2.0, 3.0, 0.0], dtype=engine.float64, requires_grad=True)
    (g,) = engine.autograd.grad(x.prod(), x, create_graph=True)
    assert g.tolist() == [0.0, 0.0, 6.0]
    g[2].backward()  # d(x0 * x1)/dx = [x1, x0, 0]
    assert x.grad.tolist() == [3.0, 2.0, 0.0]


@pytest.mark.parametrize("f, name", [
    (lambda x: engine_F.leaky_relu(x, 0.1), "LeakyReluBackwardBackward0"),
    (lambda x: engine_F.hardtanh(x), "HardtanhBackwardBackward0"),
])
def test_piecewise_linear_grads_stay_connected_under_create_graph(f, name):
    x = engine.tensor([3.0, -0.5, 0.5], requires_grad=True)
    (g,) = engine.autograd.grad(f(x).sum(), x, create_graph=True)
    assert g.requires_grad and type(g.grad_fn).__name__ == name
    (g * g).sum().backward()  # the grad is flat in x: a zero second derivative
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_sign_of_nan_is_zero_and_piecewise_grads_are_zero_where_g_is_not_finite():
    assert engine.tensor([float("nan"), -2.0]).sign().tolist() == [0.0, -1.0]
    x = engine.tensor([1.0, -1.0], requires_grad=True)
    (x.sign() ** -0.25).sum().backward()  # (-1) ** -0.25 is nan: sign's grad stays 0
    assert x.grad.tolist() == [0.0, 0.0]


def test_grads_of_promoted_inputs_come_back_in_their_own_dtype():
    a = engine.tensor(0.25, dtype=engine.float64, requires_grad=True)
    b = engine.tensor([1.0, 2.0], requires_grad=True)
    d = a * 1.0
    seen = []
    d.register_hook(lambda g: seen.append(g.dtype))
    (d * b + d).sum().backward()  # a 0-d float64 tensor with a float32 vector: float32 result
    assert seen == [engine.float64]
    assert a.grad.dtype == engine.float64 and b.grad.dtype == engine.float32
    assert a.grad.item() == 5.0


def test_relu_grad_under_create_graph_is_zero_where_the_incoming_grad_is_inf():
    x = engine.tensor([0.0, 0.5], requires_grad=True)
    (g,) = engine.autograd.grad(x.relu().reciprocal().sum(), x, create_graph=True)
    assert g.tolist() == [0.0, -4.0]


def test_logsumexp_of_a_0d_tensor_checks_its_dim():
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 1"):
        engine.tensor(2.0).logsumexp(1)
    assert engine.tensor(2.0).logsumexp(0).item() == 2.0
