"""engine.optim: SGD (momentum, dampening, Nesterov, weight decay, maximize), Adam/AdamW
(bias correction, L2 vs decoupled decay, amsgrad), RMSprop and Adagrad against steps computed by
hand; parameter groups, state_dict, zero_grad, errors; and the same updates as torch from the
same gradients."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import optim

P0 = [1.0, -2.0]
G1 = [0.5, 1.0]
G2 = [-1.0, 2.0]


def param(values=P0):
    return engine.nn.Parameter(engine.tensor(values, dtype=engine.float64))


def run(opt_cls, grads, values=P0, **kw):
    """Apply ``opt_cls`` for len(grads) steps with the given gradients; the parameter after each."""
    p = param(values)
    opt = opt_cls([p], **kw)
    out = []
    for g in grads:
        p.grad = engine.tensor(g, dtype=engine.float64)
        opt.step()
        out.append(p.detach().numpy().copy())
    return out


# ---- SGD: hand-computed --------------------------------------------------------------------------
@pytest.mark.parametrize("kw,step1,step2", [
    # p - lr g
    ({}, [0.95, -2.1], [1.05, -2.3]),
    # b1 = g1; b2 = 0.9 g1 + g2 = [-0.55, 2.9]
    ({"momentum": 0.9}, [0.95, -2.1], [1.005, -2.39]),
    # b2 = 0.9 g1 + (1 - 0.5) g2 = [-0.05, 1.9] (no dampening on the first step)
    ({"momentum": 0.9, "dampening": 0.5}, [0.95, -2.1], [0.955, -2.29]),
    # d1 = g1 + 0.9 b1 = 1.9 g1; d2 = g2 + 0.9 b2 = [-1.495, 4.61]
    ({"momentum": 0.9, "nesterov": True}, [0.905, -2.19], [1.0545, -2.651]),
    # d1 = g1 + 0.1 p0 = [0.6, 0.8]; d2 = g2 + 0.1 p1 = [-0.906, 1.792]
    ({"weight_decay": 0.1}, [0.94, -2.08], [1.0306, -2.2592]),
    # ascent: p + lr g
    ({"maximize": True}, [1.05, -1.9], [0.95, -1.7]),
])
def test_sgd_matches_hand_computed_steps(kw, step1, step2):
    s1, s2 = run(optim.SGD, [G1, G2], lr=0.1, **kw)
    np.testing.assert_allclose(s1, step1, rtol=1e-12)
    np.testing.assert_allclose(s2, step2, rtol=1e-12)


def test_sgd_momentum_buffer_is_in_state():
    p = param()
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = engine.tensor(G1, dtype=engine.float64)
    opt.step()
    p.grad = engine.tensor(G2, dtype=engine.float64)
    opt.step()
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(), [-0.55, 2.9], rtol=1e-12)


# ---- Adam: hand-computed -------------------------------------------------------------------------
def adam_reference(grads, lr=0.1, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, decoupled=False,
                   amsgrad=False):
    """The textbook Adam (Kingma & Ba) with bias-corrected moments, written independently."""
    p = np.array(P0)
    m = np.zeros(2)
    v = np.zeros(2)
    vmax = np.zeros(2)
    out = []
    for t, g in enumerate(grads, start=1):
        g = np.array(g, dtype=float)
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        if amsgrad:
            vmax = np.maximum(vmax, v)
            v_hat = vmax / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    return out


def test_adam_first_step_moves_each_weight_by_lr_against_its_gradient_sign():
    # bias correction makes m_hat = g and v_hat = g^2 on step 1: the step is lr * g / (|g| + eps)
    (s1,) = run(optim.Adam, [G1], lr=0.1)
    np.testing.assert_allclose(s1, [0.9, -2.1], rtol=1e-7)


@pytest.mark.parametrize("kw,ref", [
    ({}, {}),
    ({"betas": (0.5, 0.9), "eps": 1e-3}, {"b1": 0.5, "b2": 0.9, "eps": 1e-3}),
    ({"weight_decay": 0.1}, {"wd": 0.1}),
    ({"amsgrad": True}, {"amsgrad": True}),
])
def test_adam_matches_textbook_update(kw, ref):
    grads = [G1, G2, [0.1, -0.3], [2.0, 0.0]]
    got = run(optim.Adam, grads, lr=0.1, **kw)
    for g, r in zip(got, adam_reference(grads, **ref), strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-10)


def test_adamw_decays_weights_before_the_adam_step():
    grads = [G1, G2, [0.1, -0.3]]
    got = run(optim.AdamW, grads, lr=0.1, weight_decay=0.5)
    for g, r in zip(got, adam_reference(grads, wd=0.5, decoupled=True), strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-10)


def test_adam_state_counts_steps_and_holds_moments():
    p = param()
    opt = optim.Adam([p], lr=0.1)
    for g in (G1, G2):
        p.grad = engine.tensor(g, dtype=engine.float64)
        opt.step()
    st = opt.state[p]
    assert st["step"].item() == 2
    np.testing.assert_allclose(st["exp_avg"].numpy(), 0.9 * 0.1 * np.array(G1) + 0.1 * np.array(G2))
    np.testing.assert_allclose(st["exp_avg_sq"].numpy(),
                               0.999 * 0.001 * np.square(G1) + 0.001 * np.square(G2))


# ---- behaviour shared by every optimiser ---------------------------------------------------------
@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam])
def test_step_keeps_parameters_leaves_and_bumps_their_version(cls):
    w = engine.nn.Parameter(engine.randn(3))
    opt = cls([w], lr=0.1)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    opt.step()
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    # the graph saved w before the step: PyTorch refuses to backward through a stale value
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_params_without_grad_are_skipped_and_zero_grad_resets():
    a, b = param(), param([3.0, 4.0])
    opt = optim.SGD([a, b], lr=0.1)
    a.grad = engine.tensor(G1, dtype=engine.float64)
    opt.step()
    assert b.tolist() == [3.0, 4.0]
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None


def test_param_groups_take_their_own_options():
    a, b = param(), param()
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1, momentum=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 1.0]
    assert opt.param_groups[1]["momentum"] == 0.5
    a.grad = engine.tensor(G1, dtype=engine.float64)
    b.grad = engine.tensor(G1, dtype=engine.float64)
    opt.step()
    np.testing.assert_allclose(a.numpy(force=True), [0.95, -2.1])
    np.testing.assert_allclose(b.numpy(force=True), [0.5, -3.0])
    opt.param_groups[0]["lr"] = 0.0  # schedulers work by editing the groups
    opt.step()
    np.testing.assert_allclose(a.numpy(force=True), [0.95, -2.1])


def test_state_dict_indexes_params_and_round_trips():
    a, b = param(), param()
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = engine.tensor(G1, dtype=engine.float64)
    opt.step()
    sd = opt.state_dict()
    assert list(sd["state"]) == [0] and sd["param_groups"][0]["params"] == [0, 1]
    assert sd["param_groups"][0]["lr"] == 0.1
    c, d = param(), param()
    opt2 = optim.Adam([c, d], lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.1
    np.testing.assert_allclose(opt2.state[c]["exp_avg"].numpy(), opt.state[a]["exp_avg"].numpy())


def test_closure_is_called_with_grad_enabled_and_its_loss_returned():
    w = param()
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with engine.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(w.numpy(force=True), [0.8, -1.6])


def test_optimizer_argument_errors_match_pytorch():
    w = param()
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD([w], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero "
                                         "dampening"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"params argument given to the optimizer should be an "
                                        r"iterable of Tensors or dicts, but got "
                                        r"torch\.DoubleTensor"):
        optim.Adam(w)
    with pytest.raises(ValueError, match=r"Invalid beta parameter at index 0: 1\.0"):
        optim.Adam([w], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([w * 2], lr=0.1)


def test_optimizer_repr_lists_group_options():
    r = repr(optim.SGD([param()], lr=0.1))
    assert r.startswith("SGD (\nParameter Group 0\n    dampening: 0\n")
    assert "    lr: 0.1\n" in r and r.endswith("\n)")


# ---- RMSprop and Adagrad: hand-computed ----------------------------------------------------------
def test_rmsprop_matches_hand_computed_steps():
    # v1 = 0.01 g1^2 = [0.0025, 0.01] -> sqrt = [0.05, 0.1]: the first step moves by lr * 10
    # v2 = 0.99 v1 + 0.01 g2^2 = [0.012475, 0.0499]
    step1, step2 = run(optim.RMSprop, [G1, G2], lr=0.1)
    np.testing.assert_allclose(step1, [0.0, -3.0], atol=1e-6)
    avg2 = np.sqrt([0.012475, 0.0499]) + 1e-8
    np.testing.assert_allclose(step2, step1 - 0.1 * np.array(G2) / avg2, rtol=1e-12)


def test_rmsprop_momentum_and_centering():
    # centered: gbar1 = 0.01 g1, avg1 = sqrt(v1 - gbar1^2); momentum: b1 = g1 / avg1
    (step1,) = run(optim.RMSprop, [G1], lr=0.1, momentum=0.9, centered=True)
    g1 = np.array(G1)
    avg = np.sqrt(0.01 * g1**2 - (0.01 * g1) ** 2) + 1e-8
    np.testing.assert_allclose(step1, np.array(P0) - 0.1 * g1 / avg, rtol=1e-12)


def test_adagrad_matches_hand_computed_steps():
    # s1 = g1^2 -> p1 = p0 - lr sign(g1); s2 = [1.25, 5] -> p2 = p1 - lr g2 / sqrt(s2)
    step1, step2 = run(optim.Adagrad, [G1, G2], lr=0.1)
    np.testing.assert_allclose(step1, [0.9, -2.1], rtol=1e-9)
    np.testing.assert_allclose(step2, [0.9 + 0.1 / np.sqrt(1.25), -2.1 - 0.2 / np.sqrt(5)],
                               rtol=1e-9)  # eps = 1e-10 beside sqrt(s)
    # lr_decay: the second step's rate is lr / (1 + lr_decay)
    _, decayed = run(optim.Adagrad, [G1, G2], lr=0.1, lr_decay=1.0)
    np.testing.assert_allclose(decayed, [0.9 + 0.05 / np.sqrt(1.25), -2.1 - 0.1 / np.sqrt(5)],
                               rtol=1e-9)


def test_rmsprop_and_adagrad_argument_errors_match_pytorch():
    w = param()
    for cls, kw, msg in ((optim.RMSprop, {"alpha": -1}, "Invalid alpha value: -1"),
                         (optim.RMSprop, {"momentum": -0.5}, "Invalid momentum value: -0.5"),
                         (optim.Adagrad, {"lr_decay": -1}, "Invalid lr_decay value: -1"),
                         (optim.Adagrad, {"initial_accumulator_value": -1},
                          "Invalid initial_accumulator_value value: -1")):
        with pytest.raises(ValueError, match=msg):
            cls([w], **kw)


# ---- differential: real torch --------------------------------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("name,kw", [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "centered": True, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1,
                 "initial_accumulator_value": 0.5}),
])
def test_updates_match_torch_for_the_same_gradients(name, kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(6)]
    results = []
    for lib in (torch, engine):
        p = lib.nn.Parameter(lib.tensor(p0))
        opt = getattr(lib.optim, name)([p], **kw)
        for g in grads:
            p.grad = lib.tensor(g)
            opt.step()
        results.append(p.detach().numpy().copy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12, atol=1e-14)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_float32_updates_stay_within_rounding_of_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    p0 = rng.standard_normal((30, 40)).astype(np.float32)
    grads = [rng.standard_normal((30, 40)).astype(np.float32) for _ in range(50)]
    kw = {"lr": 1e-2, "weight_decay": 0.01} | ({"momentum": 0.9} if name == "SGD" else {})
    results = []
    for lib in (torch, engine):
        p = lib.nn.Parameter(lib.tensor(p0))
        opt = getattr(lib.optim, name)([p], **kw)
        for g in grads:
            p.grad = lib.tensor(g)
            opt.step()
        results.append(p.detach().numpy().copy())
    assert results[1].dtype == np.float32
    np.testing.assert_allclose(results[1], results[0], rtol=0, atol=1e-6)
