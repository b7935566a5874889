"""The new activations and dropout without PyTorch: hand-derived values and slopes (kinks
included), modules and their reprs, train/eval, and dropout's mask drawn from the generator as
ATen's serial bernoulli kernel draws it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradcheck_util import engine_grads, numeric_grads

import engine as torch
import engine.nn as nn
import engine.nn.functional as F
from engine.random import default_generator

X = [-2.0, -0.5, 0.0, 0.5, 3.0]


def values_and_slopes(fn, xs=X, dtype=torch.float64):
    x = torch.tensor(xs, dtype=dtype, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    return y.detach().numpy(), x.grad.numpy(), y.grad_fn.name()


def phi(v):  # standard normal CDF and density
    return 0.5 * (1 + math.erf(v / math.sqrt(2))), math.exp(-v * v / 2) / math.sqrt(2 * math.pi)


def sig(v):
    return 1 / (1 + math.exp(-v))


def test_leaky_relu_slope_at_zero_is_the_negative_slope():
    y, g, name = values_and_slopes(lambda x: F.leaky_relu(x, 0.2))
    assert name == "LeakyReluBackward0"
    np.testing.assert_allclose(y, [-0.4, -0.1, 0.0, 0.5, 3.0])
    np.testing.assert_allclose(g, [0.2, 0.2, 0.2, 1.0, 1.0])  # x <= 0 takes the slope
    _, g, _ = values_and_slopes(F.leaky_relu)
    np.testing.assert_allclose(g, [0.01, 0.01, 0.01, 1.0, 1.0])


def test_elu_values_and_slope_alpha_at_zero():
    y, g, name = values_and_slopes(lambda x: F.elu(x, alpha=0.5))
    assert name == "EluBackward0"
    want = [0.5 * math.expm1(v) if v <= 0 else v for v in X]
    np.testing.assert_allclose(y, want, rtol=1e-15)
    np.testing.assert_allclose(g, [0.5 * math.exp(v) if v <= 0 else 1.0 for v in X], rtol=1e-15)


def test_gelu_exact_and_tanh():
    y, g, name = values_and_slopes(F.gelu)
    assert name == "GeluBackward0"
    np.testing.assert_allclose(y, [v * phi(v)[0] for v in X], rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(g, [phi(v)[0] + v * phi(v)[1] for v in X], rtol=1e-14)
    y, g, _ = values_and_slopes(lambda x: F.gelu(x, approximate="tanh"))
    c = math.sqrt(2 / math.pi)

    def tanh_gelu(v):
        return 0.5 * v * (1 + math.tanh(c * (v + 0.044715 * v**3)))

    np.testing.assert_allclose(y, [tanh_gelu(v) for v in X], rtol=1e-14)
    # the tanh approximation is within 1e-3 of the exact one, and so is its slope
    np.testing.assert_allclose(g, [phi(v)[0] + v * phi(v)[1] for v in X], atol=2e-3)
    np.testing.assert_allclose(g, [(tanh_gelu(v + 1e-6) - tanh_gelu(v - 1e-6)) / 2e-6
                                   for v in X], rtol=1e-7)
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(torch.ones(2), approximate="erf")


def test_silu_softplus_erf():
    y, g, name = values_and_slopes(F.silu)
    assert name == "SiluBackward0"
    np.testing.assert_allclose(y, [v * sig(v) for v in X], rtol=1e-15)
    np.testing.assert_allclose(g, [sig(v) * (1 + v * (1 - sig(v))) for v in X], rtol=1e-14)
    y, g, name = values_and_slopes(lambda x: F.softplus(x, beta=2.0, threshold=1.0))
    assert name == "SoftplusBackward0"
    # linear (slope 1) strictly past beta * x > threshold: 3.0 only; 0.5 sits on the threshold
    np.testing.assert_allclose(y, [math.log1p(math.exp(2 * v)) / 2 if 2 * v <= 1 else v
                                   for v in X], rtol=1e-15)
    np.testing.assert_allclose(g, [sig(2 * v) if 2 * v <= 1 else 1.0 for v in X], rtol=1e-15)
    y, g, name = values_and_slopes(torch.erf)
    assert name == "ErfBackward0"
    np.testing.assert_allclose(y, [math.erf(v) for v in X], rtol=1e-15)
    np.testing.assert_allclose(g, [2 / math.sqrt(math.pi) * math.exp(-v * v) for v in X])
    assert torch.tensor([1, 2]).erf().dtype == torch.float32  # integers compute in float


def test_float32_stays_float32_and_large_inputs_do_not_overflow():
    x = torch.tensor([-1000.0, -90.0, 0.0, 90.0, 1000.0], requires_grad=True)
    for f in (F.leaky_relu, F.elu, F.gelu, F.silu, F.softplus, torch.erf,
              lambda t: F.gelu(t, approximate="tanh")):
        y = f(x)
        assert y.dtype == torch.float32
        assert np.all(np.isfinite(y.detach().numpy()))
        (g,) = torch.autograd.grad(y.sum(), x)
        assert g.dtype == torch.float32 and np.all(np.isfinite(g.numpy()))
    assert F.softplus(x).detach().numpy()[-1] == 1000.0  # past the threshold: x itself


@pytest.mark.parametrize("fn", [
    lambda a: F.gelu(a), lambda a: F.gelu(a, approximate="tanh"), lambda a: F.silu(a),
    lambda a: F.softplus(a, beta=0.5), lambda a: F.elu(a, 1.3), lambda a: a.erf(),
], ids=["gelu", "gelu_tanh", "silu", "softplus", "elu", "erf"])
def test_third_derivative_through_create_graph(fn):
    """The VJPs are engine ops, so derivatives nest: d3/dx3 by differences of d2/dx2."""
    x0 = np.array([-1.3, -0.4, 0.6, 1.7])

    def second(xs):
        x = torch.tensor(xs, requires_grad=True, dtype=torch.float64)
        (g,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
        (h,) = torch.autograd.grad(g.sum(), x, create_graph=True)
        return x, h

    x, h = second(x0)
    (third,) = torch.autograd.grad(h.sum(), x)
    eps = 1e-5
    fd = (second(x0 + eps)[1].detach().numpy() - second(x0 - eps)[1].detach().numpy()) / (2 * eps)
    np.testing.assert_allclose(third.numpy(), fd, rtol=1e-5, atol=1e-7)


def test_in_place_activations_record_pytorchs_in_place_nodes():
    x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    for f, name, slope in ((lambda h: F.leaky_relu(h, 0.2, inplace=True), "LeakyReluBackward1",
                            [0.2, 0.2, 1.0]),
                           (lambda h: F.elu(h, 0.5, inplace=True), "EluBackward1",
                            [0.5 * math.exp(-1), 0.5, 1.0]),
                           (lambda h: F.silu(h, inplace=True), "SiluBackward0", None)):
        h = x * 1
        y = f(h)
        assert y is h and h._version == 1 and y.grad_fn.name() == name
        (g,) = torch.autograd.grad(y.sum(), x)
        if slope is not None:
            np.testing.assert_allclose(g.numpy(), slope, rtol=1e-6)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.elu(x, inplace=True)


def test_modules_print_as_pytorch_and_forward_their_arguments():
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.LeakyReLU(0.2, inplace=True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)" and repr(nn.ELU(inplace=True)) == (
        "ELU(alpha=1.0, inplace=True)")
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.SiLU()) == "SiLU()" and repr(nn.SiLU(True)) == "SiLU(inplace=True)"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.Dropout(0.1, True)) == "Dropout(p=0.1, inplace=True)"
    x = torch.tensor([-1.0, 0.5])
    for mod, fn in ((nn.LeakyReLU(0.3), lambda t: F.leaky_relu(t, 0.3)),
                    (nn.ELU(2.0), lambda t: F.elu(t, 2.0)),
                    (nn.GELU("tanh"), lambda t: F.gelu(t, approximate="tanh")),
                    (nn.SiLU(), F.silu), (nn.Softplus(2, 1), lambda t: F.softplus(t, 2, 1))):
        np.testing.assert_array_equal(mod(x).numpy(), fn(x).numpy())
    with pytest.raises(ValueError, match=r"dropout probability has to be between 0 and 1, but "
                                         r"got 1\.5"):
        nn.Dropout(1.5)


def _keep_mask(seed, shape, p):
    """ATen's bernoulli_(1 - p) written out: a 64-bit draw per element, its low 53 bits as a
    double in [0, 1), kept when below 1 - p."""
    mt = np.random.MT19937()
    key = np.empty(624, dtype=np.uint32)
    key[0] = seed
    for i in range(1, 624):
        key[i] = (1812433253 * (int(key[i - 1]) ^ (int(key[i - 1]) >> 30)) + i) & 0xFFFFFFFF
    mt.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": 624}}
    n = int(np.prod(shape))
    words = mt.random_raw(2 * n)
    u64 = (words[0::2] << np.uint64(32)) | words[1::2]
    u = (u64 & np.uint64((1 << 53) - 1)).astype(np.float64) / 2.0**53
    return (u < 1 - p).reshape(shape)


@pytest.mark.parametrize("seed,p", [(0, 0.5), (7, 0.2), (123, 0.9)])
def test_dropout_mask_scale_and_grad(seed, p):
    torch.manual_seed(seed)
    x = torch.arange(1.0, 13.0).view(3, 4).requires_grad_()
    y = F.dropout(x, p)
    assert y.grad_fn.name() == "MulBackward0"  # ATen's CPU dropout is input * noise
    keep = _keep_mask(seed, (3, 4), p)
    scale = np.float32(1.0) / np.float32(1 - p)
    np.testing.assert_array_equal(y.detach().numpy(), np.where(keep, x.detach().numpy() * scale,
                                                               0.0))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.where(keep, scale, 0.0))
    # the generator moved on by two words per element
    mt_after = _keep_mask(seed, (3 * 4 + 1,), 0.5)[-1]
    assert (default_generator._unit(1, np.float64)[0] < 0.5) == mt_after


def test_dropout_edges_and_statistics():
    x = torch.ones(4, requires_grad=True)
    assert F.dropout(x, 0.0) is x and F.dropout(x, 0.7, training=False) is x
    y = F.dropout(x, 1.0)
    assert y.grad_fn.name() == "MulBackward0" and not y.detach().numpy().any()
    with pytest.raises(ValueError, match=r"but got -0\.5"):
        F.dropout(x, -0.5)
    torch.manual_seed(0)
    big = F.dropout(torch.ones(20000), 0.3).numpy()
    assert abs((big == 0).mean() - 0.3) < 0.015
    assert set(np.unique(big)) == {0.0, np.float32(1) / np.float32(0.7)}
    h = torch.ones(3, dtype=torch.float64, requires_grad=True) * 2
    out = F.dropout(h, 0.5, inplace=True)
    assert out is h and h.dtype == torch.float64 and h._version == 1


def test_dropout_module_follows_train_and_eval():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 1))
    x = torch.randn(16, 4)
    model.eval()
    a, b = model(x), model(x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    model.train()
    hidden = model[1](model[0](x))
    dropped = model[2](hidden)
    zeros = (dropped.detach().numpy() == 0) & (hidden.detach().numpy() != 0)
    assert zeros.any()
    np.testing.assert_allclose(dropped.detach().numpy()[~zeros], 2 * hidden.detach().numpy()[
        ~zeros], rtol=1e-6)


def test_dropout_gradient_matches_finite_differences_with_a_fixed_mask():
    def fn(a):
        torch.manual_seed(3)  # the same mask at every evaluation
        return F.dropout(a, 0.4) * a

    inputs = [np.random.default_rng(0).uniform(-1, 1, (3, 3))]
    numeric, probe = numeric_grads(fn, inputs)
    _, grads = engine_grads(fn, inputs, probe)
    np.testing.assert_allclose(grads[0].numpy(), numeric[0], rtol=1e-6, atol=1e-8)


def test_numpy_erf_matches_libm():
    from engine.erf_numpy import erf_np

    rng = np.random.default_rng(5)
    x64 = np.concatenate([rng.uniform(-7, 7, 20000), rng.uniform(-1e-4, 1e-4, 100)])
    want = np.array([math.erf(v) for v in x64])
    np.testing.assert_array_equal(erf_np(x64), want)  # float64: libm itself
    x32 = x64.astype(np.float32)
    want32 = np.array([math.erf(v) for v in x32.astype(np.float64)]).astype(np.float32)
    np.testing.assert_array_equal(erf_np(x32), want32)  # the table, correctly rounded
    special = np.array([0.0, -0.0, 6.0, -7.5, np.inf, -np.inf, np.nan], dtype=np.float32)
    got = erf_np(special)
    np.testing.assert_array_equal(got[:6], [0.0, -0.0, 1.0, -1.0, 1.0, -1.0])
    assert np.signbit(got[1]) and np.isnan(got[6])
    assert erf_np(np.array(0.5, np.float32)).shape == ()
    assert erf_np(np.array([1])).dtype == np.float32
