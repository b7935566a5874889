"""engine.nn.functional losses and activations: values against closed forms computed in numpy,
gradients against central finite differences (float64), node names as PyTorch records them,
stability at logits of +-1000, second derivatives, and differential checks against torch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.autograd import gradcheck, gradgradcheck

F = engine.nn.functional
rng = np.random.default_rng(1)


def t64(a, rg=True):
    return engine.tensor(np.asarray(a, dtype=np.float64), requires_grad=rg)


def fd_grad(f, x, eps=1e-6):
    """Central-difference gradient of scalar numpy function f at x (float64)."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        fp = f(x)
        x[i] = old - eps
        fm = f(x)
        x[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g


def engine_grad(fn, x):
    xt = t64(x)
    fn(xt).backward()
    return xt.grad.numpy()


def np_log_softmax(z):
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


# ---- closed forms --------------------------------------------------------------------------------
X = rng.standard_normal((5, 4))
TGT = np.array([0, 3, 1, 1, 2])
W = np.array([0.5, 2.0, 1.0, 0.25])


def ce_np(x, t=TGT, w=None, reduction="mean"):
    lp = np_log_softmax(x)
    ww = np.ones(x.shape[1]) if w is None else w
    losses = -ww[t] * lp[np.arange(len(t)), t]
    if reduction == "none":
        return losses
    return losses.sum() / (ww[t].sum() if reduction == "mean" else 1.0)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_value_and_grad_match_closed_form_and_fd(reduction, weighted):
    w = W if weighted else None
    wt = None if w is None else engine.tensor(w)
    out = F.cross_entropy(t64(X), engine.tensor(TGT), weight=wt, reduction=reduction)
    np.testing.assert_allclose(out.detach().numpy(), ce_np(X, w=w, reduction=reduction),
                               rtol=1e-12)
    probe = rng.standard_normal(out.shape)  # a random cotangent covers reduction='none'

    def scalar_np(x):
        return float(np.sum(ce_np(x, w=w, reduction=reduction) * probe))

    def scalar_engine(x):
        return (F.cross_entropy(x, engine.tensor(TGT), weight=wt, reduction=reduction)
                * engine.tensor(probe)).sum()

    np.testing.assert_allclose(engine_grad(scalar_engine, X), fd_grad(scalar_np, X), atol=1e-7)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    x = t64(X)
    F.cross_entropy(x, engine.tensor(TGT)).backward()
    p = np.exp(np_log_softmax(X))
    onehot = np.eye(4)[TGT]
    np.testing.assert_allclose(x.grad.numpy(), (p - onehot) / 5, atol=1e-14)


def test_cross_entropy_graph_is_nll_over_log_softmax():
    x = engine.randn(3, 4, requires_grad=True)
    out = F.cross_entropy(x, engine.tensor([0, 1, 2]))
    assert out.grad_fn.name() == "NllLossBackward0"
    (inner, _), = out.grad_fn.next_functions
    assert inner.name() == "LogSoftmaxBackward0"


def test_cross_entropy_ignore_index_excludes_targets_from_mean():
    t = np.array([0, -100, 1, 1, -100])
    out = F.cross_entropy(t64(X), engine.tensor(t))
    keep = t != -100
    np.testing.assert_allclose(out.item(), ce_np(X[keep], t[keep]), rtol=1e-12)
    x = t64(X)
    F.cross_entropy(x, engine.tensor(t)).backward()
    assert np.all(x.grad.numpy()[~keep] == 0)


def test_cross_entropy_1d_input_and_class_probability_targets():
    x1 = X[0]
    out = F.cross_entropy(t64(x1), engine.tensor(2))
    np.testing.assert_allclose(out.item(), -np_log_softmax(x1[None])[0, 2], rtol=1e-12)
    p = np.exp(np_log_softmax(rng.standard_normal((5, 4))))
    soft = F.cross_entropy(t64(X), t64(p, rg=False))
    np.testing.assert_allclose(soft.item(), -(p * np_log_softmax(X)).sum(1).mean(), rtol=1e-12)


def test_cross_entropy_label_smoothing_closed_form():
    eps = 0.2
    out = F.cross_entropy(t64(X), engine.tensor(TGT), label_smoothing=eps)
    lp = np_log_softmax(X)
    expected = (1 - eps) * ce_np(X) + eps * (-lp.mean(1)).mean()
    np.testing.assert_allclose(out.item(), expected, rtol=1e-12)


def test_cross_entropy_is_stable_at_huge_logits():
    x = engine.tensor([[1000.0, -1000.0], [-1000.0, 1000.0]], requires_grad=True)
    out = F.cross_entropy(x, engine.tensor([0, 0]))
    assert out.item() == pytest.approx(1000.0)  # one right (loss 0), one wrong (loss 2000)
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0], [-0.5, 0.5]], atol=1e-6)  # (p - 1hot) / 2


def test_cross_entropy_ignore_index_inside_the_class_range():
    out = F.cross_entropy(t64(X), engine.tensor(TGT), ignore_index=1)
    keep = TGT != 1
    np.testing.assert_allclose(out.item(), ce_np(X[keep], TGT[keep]), rtol=1e-12)


def test_nll_loss_errors_match_pytorch():
    x = engine.randn(4, 3)
    with pytest.raises(IndexError, match=r"Target -1 is out of bounds\."):
        F.nll_loss(x, engine.tensor([0, 1, -1, 0]))
    with pytest.raises(IndexError, match=r"Target 3 is out of bounds\."):
        F.nll_loss(x, engine.tensor([0, 1, 3, 0]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(4\) to match target "
                                         r"batch_size \(3\)."):
        F.cross_entropy(x, engine.tensor([0, 1, 1]))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Float"):
        F.nll_loss(x, engine.tensor([0.0, 1.0, 1.0, 0.0]).reshape(4, 1).squeeze(1) * 1)
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        F.nll_loss(x, engine.tensor([0, 1, 1, 0]), reduction="avg")


# ---- mse / l1 ------------------------------------------------------------------------------------
A = rng.standard_normal((3, 4))
B = rng.standard_normal((3, 4))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_value_and_both_gradients(reduction):
    a, b = t64(A), t64(B)
    out = F.mse_loss(a, b, reduction=reduction)
    d2 = (A - B) ** 2
    expect = {"mean": d2.mean(), "sum": d2.sum(), "none": d2}[reduction]
    np.testing.assert_allclose(out.detach().numpy(), expect, rtol=1e-12)
    assert out.grad_fn.name() == "MseLossBackward0"
    out.sum().backward() if reduction == "none" else out.backward()
    scale = 1 / A.size if reduction == "mean" else 1.0
    np.testing.assert_allclose(a.grad.numpy(), 2 * (A - B) * scale, rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), -2 * (A - B) * scale, rtol=1e-12)


def test_mse_loss_broadcast_warns_and_reduces_grad_to_target_shape():
    a, b = t64(A), t64(B[:, :1])
    with pytest.warns(UserWarning, match="Using a target size"):
        out = F.mse_loss(a, b)
    out.backward()
    np.testing.assert_allclose(b.grad.numpy(), (-2 * (A - B[:, :1]) / A.size).sum(1, keepdims=True),
                               rtol=1e-12)


def test_l1_loss_value_gradient_and_graph():
    a = t64(A)
    out = F.l1_loss(a, t64(B, rg=False))
    np.testing.assert_allclose(out.item(), np.abs(A - B).mean(), rtol=1e-12)
    assert out.grad_fn.name() == "MeanBackward0"
    assert out.grad_fn.next_functions[0][0].name() == "AbsBackward0"
    out.backward()
    np.testing.assert_allclose(a.grad.numpy(), np.sign(A - B) / A.size)


# ---- binary cross-entropy ------------------------------------------------------------------------
P = 1 / (1 + np.exp(-rng.standard_normal((4, 3))))
Y = rng.uniform(0, 1, (4, 3))
WB = rng.uniform(0.5, 2, (3,))
PW = np.array([0.5, 1.0, 3.0])


def bce_np(p, y, w=1.0):
    return -(w * (y * np.log(p) + (1 - y) * np.log(1 - p)))


def bce_logits_np(x, y, w=1.0, pw=1.0):
    ls = np.log(1 / (1 + np.exp(-x)))
    return w * ((1 - y) * x - (1 + (pw - 1) * y) * ls)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_value_and_gradients_wrt_input_and_target(reduction):
    red = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction]
    out = F.binary_cross_entropy(t64(P), t64(Y), weight=engine.tensor(WB), reduction=reduction)
    np.testing.assert_allclose(out.detach().numpy(), red(bce_np(P, Y, WB)), rtol=1e-12)
    assert out.grad_fn.name() == "BinaryCrossEntropyBackward0"
    probe = rng.standard_normal(np.shape(red(bce_np(P, Y))))

    def loss(p, y):
        return (F.binary_cross_entropy(p, y, weight=engine.tensor(WB), reduction=reduction)
                * engine.tensor(probe)).sum()

    p, y = t64(P), t64(Y)
    loss(p, y).backward()
    np.testing.assert_allclose(p.grad.numpy(),
                               fd_grad(lambda v: np.sum(red(bce_np(v, Y, WB)) * probe), P),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(y.grad.numpy(),
                               fd_grad(lambda v: np.sum(red(bce_np(P, v, WB)) * probe), Y),
                               rtol=1e-6, atol=1e-8)


def test_bce_clamps_log_at_minus_100_and_checks_range():
    out = F.binary_cross_entropy(engine.tensor([0.0, 1.0]), engine.tensor([1.0, 0.0]),
                                 reduction="none")
    np.testing.assert_array_equal(out.numpy(), [100.0, 100.0])
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(engine.tensor([1.5]), engine.tensor([1.0]))
    with pytest.raises(ValueError, match="Using a target size"):
        F.binary_cross_entropy(engine.tensor([0.5, 0.5]), engine.tensor([[1.0, 1.0]]))


@pytest.mark.parametrize("pos_weight", [None, PW])
def test_bce_with_logits_value_and_gradients(pos_weight):
    xs = np.log(P / (1 - P))
    pw = None if pos_weight is None else engine.tensor(pos_weight)
    pwn = 1.0 if pos_weight is None else pos_weight
    x, y = t64(xs), t64(Y)
    out = F.binary_cross_entropy_with_logits(x, y, weight=engine.tensor(WB), pos_weight=pw)
    np.testing.assert_allclose(out.item(), bce_logits_np(xs, Y, WB, pwn).mean(), rtol=1e-12)
    assert out.grad_fn.name() == "BinaryCrossEntropyWithLogitsBackward0"
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(),
                               fd_grad(lambda v: bce_logits_np(v, Y, WB, pwn).mean(), xs),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(y.grad.numpy(),
                               fd_grad(lambda v: bce_logits_np(xs, v, WB, pwn).mean(), Y),
                               rtol=1e-6, atol=1e-9)


def test_bce_with_logits_is_stable_at_huge_logits():
    x = engine.tensor([1000.0, -1000.0, 1000.0, -1000.0], requires_grad=True)
    y = engine.tensor([1.0, 0.0, 0.0, 1.0])
    out = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(out.detach().numpy(), [0.0, 0.0, 1000.0, 1000.0])
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 1.0, -1.0])
    with pytest.raises(ValueError, match=r"Target size .* must be the same as input size"):
        F.binary_cross_entropy_with_logits(x, y[:2])


# ---- second derivatives (create_graph through the fused rows) ------------------------------------
@pytest.mark.parametrize("name,fn", [
    ("cross_entropy", lambda x: F.cross_entropy(x, engine.tensor([0, 2, 1]))),
    ("mse", lambda x: F.mse_loss(x.tanh(), engine.zeros(3, 3, dtype=engine.float64))),
    ("bce", lambda x: F.binary_cross_entropy(x.sigmoid(), engine.full((3, 3), 0.3,
                                                                       dtype=engine.float64))),
    ("bce_logits", lambda x: F.binary_cross_entropy_with_logits(
        x, engine.full((3, 3), 0.3, dtype=engine.float64),
        pos_weight=engine.tensor([1.0, 2.0, 0.5], dtype=engine.float64))),
    ("linear", lambda x: F.linear(x, x * 2, x[0]).sum()),
])
def test_losses_pass_gradcheck_and_gradgradcheck(name, fn):
    x = t64(rng.standard_normal((3, 3)))
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


# ---- activations ---------------------------------------------------------------------------------
def test_activations_and_softmax_family():
    x = t64(X)
    np.testing.assert_allclose(F.relu(x).detach().numpy(), np.maximum(X, 0))
    np.testing.assert_allclose(F.sigmoid(x).detach().numpy(), 1 / (1 + np.exp(-X)), rtol=1e-12)
    np.testing.assert_allclose(F.tanh(x).detach().numpy(), np.tanh(X), rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(x, 1).detach().numpy(), np_log_softmax(X),
                               rtol=1e-12)
    np.testing.assert_allclose(F.softmax(x, dim=1).detach().numpy(),
                               np.exp(np_log_softmax(X)), rtol=1e-12)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        s = F.softmax(x)
    np.testing.assert_allclose(s.detach().numpy().sum(1), 1.0)
    assert F.softmax(engine.tensor([1000.0, 0.0]), 0).tolist() == [1.0, 0.0]


# ---- differential: real torch --------------------------------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("case", ["ce", "ce_w_ignore", "ce_none", "nll_sum", "mse", "l1", "bce",
                                  "bce_logits", "bce_logits_pw", "ce_smooth", "ce_3d"])
def test_losses_match_torch_values_and_grads(case):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((6, 4))
    t = rng.integers(0, 4, 6)
    y = rng.uniform(0, 1, (6, 4))
    w = rng.uniform(0.5, 2.0, 4)

    def run(lib):
        Fl = lib.nn.functional
        xt = lib.tensor(x, requires_grad=True)
        tt = lib.tensor(t)
        if case == "ce":
            out = Fl.cross_entropy(xt, tt)
        elif case == "ce_w_ignore":
            tt = lib.tensor(np.where(t == 1, -100, t))
            out = Fl.cross_entropy(xt, tt, weight=lib.tensor(w))
        elif case == "ce_none":
            out = Fl.cross_entropy(xt, tt, reduction="none")
        elif case == "nll_sum":
            out = Fl.nll_loss(Fl.log_softmax(xt, 1), tt, reduction="sum")
        elif case == "mse":
            out = Fl.mse_loss(xt, lib.tensor(y))
        elif case == "l1":
            out = Fl.l1_loss(xt, lib.tensor(y), reduction="sum")
        elif case == "bce":
            out = Fl.binary_cross_entropy(xt.sigmoid(), lib.tensor(y), weight=lib.tensor(w))
        elif case == "bce_logits":
            out = Fl.binary_cross_entropy_with_logits(xt * 300, lib.tensor(y))
        elif case == "bce_logits_pw":
            out = Fl.binary_cross_entropy_with_logits(xt, lib.tensor(y), pos_weight=lib.tensor(w),
                                                      reduction="sum")
        elif case == "ce_smooth":
            out = Fl.cross_entropy(xt, tt, weight=lib.tensor(w), label_smoothing=0.1)
        else:
            x3 = xt.reshape(2, 4, 3)
            out = Fl.cross_entropy(x3, lib.tensor(t.reshape(2, 3) % 4))
        out.sum().backward()
        return out.detach().numpy(), xt.grad.numpy(), out.grad_fn.name()

    ev, eg, ename = run(engine)
    tv, tg, tname = run(torch)
    np.testing.assert_allclose(ev, tv, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(eg, tg, rtol=1e-9, atol=1e-12)
    if case not in ("ce_smooth",):  # PyTorch fuses label smoothing differently
        assert ename == tname


@pytest.mark.torch
@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 6), c=st.integers(2, 5), scale=st.sampled_from([1.0, 30.0, 1000.0]),
       seed=st.integers(0, 2**16), reduction=st.sampled_from(["mean", "sum", "none"]))
def test_losses_match_torch_on_random_shapes_and_scales(n, c, scale, seed, reduction):
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, c)) * scale
    t = r.integers(0, c, n)
    y = r.uniform(0, 1, (n, c))
    got = []
    for lib in (engine, torch):
        Fl = lib.nn.functional
        xt = lib.tensor(x, requires_grad=True)
        outs = [Fl.cross_entropy(xt, lib.tensor(t), reduction=reduction),
                Fl.binary_cross_entropy_with_logits(xt, lib.tensor(y), reduction=reduction),
                Fl.mse_loss(xt, lib.tensor(y), reduction=reduction)]
        sum(o.sum() for o in outs).backward()
        got.append([o.detach().numpy() for o in outs] + [xt.grad.numpy()])
    for e, tv in zip(*got, strict=True):
        np.testing.assert_allclose(e, tv, rtol=1e-9, atol=1e-9 * scale)
        assert np.all(np.isfinite(e))
