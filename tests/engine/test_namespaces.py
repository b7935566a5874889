"""The two math namespaces the VJPs run on must offer the same functions with the same results:
a helper missing from ``T`` only fails once someone calls backward with create_graph=True."""

import numpy as np
import pytest

import engine as torch
from engine.ns import NP
from engine.tensor_ns import T


def _public(ns):
    return {k for k in vars(ns) if not k.startswith("_")}


def test_every_numpy_helper_has_a_tensor_twin():
    missing = _public(NP) - _public(T)
    assert not missing, f"T lacks {sorted(missing)}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_expand_div_matches_the_quotient_rounded_once(dtype):
    g = np.array(1.0, dtype)
    r = NP.expand_div(g, 3, (2, 3))
    assert r.dtype == dtype and r.shape == (2, 3)
    assert np.all(r == dtype(1.0) / dtype(3))  # same bits as dividing in the dtype itself
    t = T.expand_div(torch.tensor(1.0, dtype=torch.float64 if dtype is np.float64 else None),
                     3, (2, 3))
    np.testing.assert_array_equal(t.numpy(), r)


def test_expand_div_of_an_array_grad_and_of_zero_elements():
    g = np.arange(3, dtype=np.float32).reshape(3, 1)
    np.testing.assert_array_equal(NP.expand_div(g, 2, (3, 4)), np.broadcast_to(g / 2, (3, 4)))
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.isnan(NP.expand_div(np.array(0.0), 0, ())).all()


def test_minus_exp_times_and_t2_agree_between_namespaces():
    rng = np.random.default_rng(1)
    g, x = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    k = g.sum(1, keepdims=True)
    want = g - np.exp(x) * k
    np.testing.assert_allclose(NP.minus_exp_times(g, x, k), want, rtol=1e-12)
    got = T.minus_exp_times(torch.tensor(g), torch.tensor(x), torch.tensor(k))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    np.testing.assert_array_equal(NP.t2(x), x.T)
    np.testing.assert_array_equal(T.t2(torch.tensor(x)).numpy(), x.T)


@pytest.mark.torch
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("value", [0.0, 1.0, -1.0, float("nan")])
def test_relu_grad_of_a_0d_tensor_matches_torch(value, create_graph):
    # a 0-d comparison gives a numpy scalar: the bit-mask path of NP.relu_grad cannot write it
    real = pytest.importorskip("torch")
    x = torch.tensor(value, requires_grad=True)
    (g,) = torch.autograd.grad(x.relu(), [x], create_graph=create_graph)
    xr = real.tensor(value, requires_grad=True)
    (gr,) = real.autograd.grad(xr.relu(), [xr], create_graph=create_graph)
    assert g.shape == () and g.dtype == torch.float32
    np.testing.assert_array_equal(g.detach().numpy(), gr.detach().numpy())
    assert (g.grad_fn is not None) == create_graph
