"""tan/asin/acos/asinh/acosh/atanh, trunc/frac/fmod/copysign/lerp/logaddexp and the activations
celu/selu/relu6/hardsigmoid/hardswish/mish/logsigmoid/softsign/softmin/threshold: hand values,
finite differences (first and second derivatives), and PyTorch's values, dtypes, node names,
reprs and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradcheck_util import engine_grads, numeric_grads

import engine
import engine.nn as enn
import engine.nn.functional as EF

rng = np.random.default_rng(3)


def r(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, shape)


# (id, function of engine-or-torch module m and F, input arrays, node name)
CASES = [
    ("tan", lambda m, F, x: m.tan(x), [r(5, lo=-1.2, hi=1.2)], "TanBackward0"),
    ("asin", lambda m, F, x: m.asin(x), [r(5, lo=-0.9, hi=0.9)], "AsinBackward0"),
    ("acos", lambda m, F, x: m.acos(x), [r(5, lo=-0.9, hi=0.9)], "AcosBackward0"),
    ("asinh", lambda m, F, x: m.asinh(x), [r(5)], "AsinhBackward0"),
    ("acosh", lambda m, F, x: m.acosh(x), [r(5, lo=1.1, hi=3.0)], "AcoshBackward0"),
    ("atanh", lambda m, F, x: m.atanh(x), [r(5, lo=-0.9, hi=0.9)], "AtanhBackward0"),
    ("frac", lambda m, F, x: m.frac(x), [r(5, lo=-3, hi=3)], "FracBackward0"),
    ("fmod", lambda m, F, x: m.fmod(x, 0.7), [r(5, lo=-3, hi=3)], "FmodBackward0"),
    ("fmod_tt", lambda m, F, x, y: m.fmod(x, y), [r(2, 3, lo=-3, hi=3), r(3, lo=0.5, hi=1.5)],
     "FmodBackward1"),
    ("copysign_s", lambda m, F, x: m.copysign(x, -1.0), [r(5)], "CopysignBackward1"),
    ("copysign", lambda m, F, x, y: m.copysign(x, y), [r(2, 3), r(3)], "CopysignBackward0"),
    ("lerp", lambda m, F, x, y: m.lerp(x, y, 0.3), [r(2, 3), r(3)], "LerpBackward0"),
    ("lerp_big_w", lambda m, F, x, y: m.lerp(x, y, 0.8), [r(4), r(4)], "LerpBackward0"),
    ("lerp_t", lambda m, F, x, y, w: m.lerp(x, y, w), [r(2, 3), r(3), r(2, 1, lo=0, hi=1)],
     "LerpBackward1"),
    ("logaddexp", lambda m, F, x, y: m.logaddexp(x, y), [r(2, 3), r(3)], "LogaddexpBackward0"),
    ("celu", lambda m, F, x: F.celu(x, 0.5), [r(6)], "CeluBackward0"),
    ("selu", lambda m, F, x: F.selu(x), [r(6)], "EluBackward0"),
    ("relu6", lambda m, F, x: F.relu6(x), [r(6, lo=-2, hi=8)], "HardtanhBackward0"),
    ("hardsigmoid", lambda m, F, x: F.hardsigmoid(x), [r(6, lo=-5, hi=5)],
     "HardsigmoidBackward0"),
    ("hardswish", lambda m, F, x: F.hardswish(x), [r(6, lo=-5, hi=5)], "HardswishBackward0"),
    ("mish", lambda m, F, x: F.mish(x), [r(6, lo=-4, hi=4)], "MishBackward0"),
    ("logsigmoid", lambda m, F, x: F.logsigmoid(x), [r(6, lo=-4, hi=4)], "LogSigmoidBackward0"),
    ("softsign", lambda m, F, x: F.softsign(x), [r(6)], "DivBackward0"),
    ("softmin", lambda m, F, x: F.softmin(x, 1), [r(2, 3)], "SoftmaxBackward0"),
    ("threshold", lambda m, F, x: F.threshold(x, 0.0, -3.0), [r(6)], "ThresholdBackward0"),
]
IDS = [c[0] for c in CASES]


def _away_from_kinks(name, arrays):
    """Finite differences need the input off the kinks (±3, 0, 6) and off integers (trunc)."""
    return [np.where(np.abs(a - np.round(a)) < 0.05, a + 0.1, a) for a in arrays]


@pytest.mark.parametrize("name,fn,arrays,node", CASES, ids=IDS)
def test_gradient_matches_finite_differences(name, fn, arrays, node):
    arrays = _away_from_kinks(name, arrays)
    f = lambda *ts: fn(engine, EF, *ts)  # noqa: E731
    numeric, probe = numeric_grads(f, arrays)
    ts, grads = engine_grads(f, arrays, probe)
    for t, g, n in zip(ts, grads, numeric):
        np.testing.assert_allclose(g.numpy(), n, rtol=1e-5, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("name,fn,arrays,node", CASES, ids=IDS)
def test_second_derivative_matches_finite_differences_of_the_gradient(name, fn, arrays, node):
    arrays = _away_from_kinks(name, arrays)
    f = lambda *ts: fn(engine, EF, *ts)  # noqa: E731
    _, probe = numeric_grads(f, arrays, eps=1e-3)

    def first(vals):
        ts, grads = engine_grads(f, vals, probe, create_graph=True)
        return ts, grads

    ts, grads = first(arrays)
    total = sum((g.sum() for g in grads if g is not None and g.requires_grad),
                engine.tensor(0.0, dtype=engine.float64))
    if not total.requires_grad:
        return  # piecewise linear in every input: the second derivative is 0
    second = engine.autograd.grad(total, ts, allow_unused=True)
    eps = 1e-6
    for i, a in enumerate(arrays):
        for idx in np.ndindex(a.shape):
            plus = [np.array(x, dtype=np.float64) for x in arrays]
            minus = [np.array(x, dtype=np.float64) for x in arrays]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            s_plus = sum(float(g.sum()) for g in first(plus)[1] if g is not None)
            s_minus = sum(float(g.sum()) for g in first(minus)[1] if g is not None)
            got = 0.0 if second[i] is None else float(second[i].numpy()[idx])
            assert got == pytest.approx((s_plus - s_minus) / (2 * eps), rel=1e-4, abs=1e-6), \
                f"{name} input {i} at {idx}"


def test_hand_values():
    x = engine.tensor([0.5])
    assert engine.asin(x).item() == pytest.approx(math.pi / 6)
    assert engine.acos(x).item() == pytest.approx(math.pi / 3)
    assert engine.tan(engine.tensor([math.pi / 4])).item() == pytest.approx(1.0)
    assert engine.trunc(engine.tensor([-2.7, 2.7])).tolist() == [-2.0, 2.0]
    assert engine.frac(engine.tensor([-2.5, 2.25])).tolist() == [-0.5, 0.25]
    assert engine.fmod(engine.tensor([-7.0, 7.0]), 3).tolist() == [-1.0, 1.0]
    assert engine.lerp(engine.tensor([1.0]), engine.tensor([3.0]), 0.25).tolist() == [1.5]
    assert engine.logaddexp(engine.tensor([0.0]), engine.tensor([0.0])).item() == \
        pytest.approx(math.log(2))
    h = EF.hardsigmoid(engine.tensor([-3.0, 0.0, 3.0]))
    assert h.tolist() == [0.0, 0.5, 1.0]
    assert EF.hardswish(engine.tensor([-3.0, 3.0])).tolist() == [0.0, 3.0]
    assert EF.relu6(engine.tensor([-1.0, 7.0, 2.0])).tolist() == [0.0, 6.0, 2.0]


def test_kinks_take_pytorchs_side():
    x = engine.tensor([-3.0, 3.0, 0.0], requires_grad=True)
    EF.hardswish(x).sum().backward()
    assert x.grad.tolist() == [-0.5, 1.5, 0.5]  # x/3 + 1/2 on [-3, 3]
    x.grad = None
    EF.hardsigmoid(x).sum().backward()
    assert x.grad[:2].tolist() == [0.0, 0.0]  # strictly inside (-3, 3) only
    y = engine.tensor([0.0, -2.0, 3.0], requires_grad=True)
    engine.copysign(y, -1.0).sum().backward()
    assert y.grad.tolist() == [0.0, 1.0, -1.0]
    z = engine.tensor([4.5, -3.0], requires_grad=True)
    w = engine.tensor([2.0, 2.0], requires_grad=True)
    engine.fmod(z, w).sum().backward()
    assert z.grad.tolist() == [1.0, 1.0] and w.grad.tolist() == [-2.0, 1.0]


def test_dtypes_and_errors():
    i = engine.tensor([5, -7])
    assert engine.trunc(i).dtype == engine.int64 and engine.trunc(i).tolist() == [5, -7]
    assert engine.fmod(i, 3).tolist() == [2, -1] and engine.fmod(i, 3).dtype == engine.int64
    assert engine.fmod(i, 2.5).dtype == engine.float32
    assert engine.copysign(i, -1).dtype == engine.float32
    assert engine.tan(i).dtype == engine.float32
    with pytest.raises(RuntimeError, match="^ZeroDivisionError$"):
        engine.fmod(i, 0)
    with pytest.raises(NotImplementedError, match="\"frac_cpu\" not implemented for 'Long'"):
        engine.frac(i)
    with pytest.raises(NotImplementedError, match="lerp_kernel_scalar"):
        engine.lerp(i, i, 0.5)
    with pytest.raises(NotImplementedError, match="logaddexp_cpu"):
        engine.logaddexp(i, i)
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype double"):
        engine.lerp(engine.ones(2), engine.ones(2, dtype=engine.float64), 0.5)
    with pytest.raises(RuntimeError, match="for `weight` but got dtype double"):
        engine.lerp(engine.ones(2), engine.ones(2), engine.ones(2, dtype=engine.float64))


REPRS = ["CELU()", "CELU(0.5, True)", "SELU()", "SELU(True)", "ReLU6()", "ReLU6(True)",
         "Hardsigmoid()", "Hardswish()", "Mish()", "LogSigmoid()", "Softsign()", "Softmin(1)",
         "Softmin()", "Hardtanh()", "Hardtanh(-2, 2, True)", "Threshold(0.1, 20)",
         "Threshold(0.5, -1.5, True)"]


@pytest.mark.parametrize("text", REPRS)
def test_module_reprs_by_hand(text):
    expected = {"CELU()": "CELU(alpha=1.0)", "CELU(0.5, True)": "CELU(alpha=0.5, inplace=True)",
                "SELU(True)": "SELU(inplace=True)", "ReLU6(True)": "ReLU6(inplace=True)",
                "Softmin(1)": "Softmin(dim=1)", "Softmin()": "Softmin(dim=None)",
                "Hardtanh()": "Hardtanh(min_val=-1.0, max_val=1.0)",
                "Hardtanh(-2, 2, True)": "Hardtanh(min_val=-2, max_val=2, inplace=True)",
                "Threshold(0.1, 20)": "Threshold(threshold=0.1, value=20)",
                "Threshold(0.5, -1.5, True)": "Threshold(threshold=0.5, value=-1.5, inplace=True)"}
    assert repr(eval("enn." + text)) == expected.get(text, text)


# ---- differential ----------------------------------------------------------------------------

@pytest.mark.torch
@pytest.mark.parametrize("name,fn,arrays,node", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_grads_and_nodes_match_pytorch(name, fn, arrays, node, dtype):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF

    arrays = [a.astype(dtype) for a in arrays]
    outs = []
    for m, F in ((engine, EF), (torch, TF)):
        ts = [m.tensor(a, requires_grad=True) for a in arrays]
        out = fn(m, F, *ts)
        out.sum().backward()
        outs.append((out, [t.grad for t in ts]))
    (eo, eg), (to, tg) = outs
    assert eo.grad_fn.name() == to.grad_fn.name() == node
    assert str(eo.dtype) == str(to.dtype)
    tol = dict(rtol=2e-6, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), **tol)
    for a, b in zip(eg, tg):
        np.testing.assert_allclose(a.numpy(), b.numpy(), **tol)


@pytest.mark.torch
@pytest.mark.parametrize("text", REPRS)
def test_module_reprs_match_pytorch(text):
    torch = pytest.importorskip("torch")

    assert repr(eval("enn." + text)) == repr(eval("torch.nn." + text))


def test_softmin_without_dim_warns_as_pytorch():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        out = EF.softmin(engine.ones(2, 3))
    assert out.shape == (2, 3)
