"""F.threshold / F.threshold_ / nn.Threshold: x > threshold ? x : value, whose grad is 0 at and
below the threshold (ThresholdBackward0; in place ThresholdBackward1, keeping the input as it
was), recorded again as ThresholdBackwardBackward0 under create_graph, integer inputs kept
integer, and a sympy closed form that agrees with the engine's grad."""

from __future__ import annotations

import numpy as np
import pytest

import engine
import engine.nn.functional as F
from engine import observe
from symbolic import CallTraceRecorder, check_all


def test_values_and_grad_by_hand():
    x = engine.tensor([-1.0, 0.5, 0.7, 2.0], requires_grad=True)
    y = F.threshold(x, 0.5, 20.0)
    assert y.tolist() == pytest.approx([20.0, 20.0, 0.7, 2.0])
    assert y.grad_fn.name() == "ThresholdBackward0"
    assert y.grad_fn._saved_threshold == 0.5 and y.grad_fn._saved_self is x
    (y * engine.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 3.0, 4.0]  # at the threshold itself: 0


def test_nan_passes_and_integers_stay_integers():
    y = F.threshold(engine.tensor([1.0, float("nan")]), 1.5, 0.0)
    assert y[0].item() == 0.0 and np.isnan(y[1].item())
    i = F.threshold(engine.tensor([1, 2, 3]), 1.5, 0.7)
    assert i.dtype == engine.int64 and i.tolist() == [0, 2, 3]  # the value truncated, as ATen


def test_bool_input_is_refused_with_pytorchs_message():
    with pytest.raises(NotImplementedError, match="\"threshold_cpu\" not implemented for 'Bool'"):
        F.threshold(engine.tensor([True, False]), 0, 0)


def test_in_place_keeps_the_input_as_it_was_for_the_grad():
    x = engine.tensor([-1.0, 0.5, 0.7, 2.0], requires_grad=True)
    y = x * 1
    # value 3 is above the threshold: the mask cannot be read back from the result
    assert F.threshold(y, 0.5, 3.0, inplace=True) is y
    assert y.tolist() == pytest.approx([3.0, 3.0, 0.7, 2.0])
    assert y.grad_fn.name() == "ThresholdBackward1" and y.grad_fn._saved_threshold == 0.5
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 1.0]
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.threshold_(x, 0.5, 0.0)


def test_module_applies_the_function():
    m = engine.nn.Threshold(0.1, 20)
    assert m(engine.tensor([0.0, 0.5])).tolist() == [20.0, 0.5]


def test_double_backward_is_one_threshold_backward_node():
    x = engine.tensor([-1.0, 0.5, 0.7, 2.0], requires_grad=True)
    (g,) = engine.autograd.grad(F.threshold(x, 0.5, 20.0).pow(2).sum(), x, create_graph=True)
    assert g.tolist() == pytest.approx([0.0, 0.0, 1.4, 4.0])  # 2x above the threshold
    assert g.grad_fn.name() == "ThresholdBackwardBackward0"
    (h,) = engine.autograd.grad(g.sum(), x)
    assert h.tolist() == [0.0, 0.0, 2.0, 2.0]


def test_sympy_closed_form_agrees_with_the_engine():
    w = engine.tensor([[0.3, -0.8], [1.1, 0.4]], dtype=engine.float64, requires_grad=True)
    X = engine.tensor([[1.0, 2.0], [-0.5, 0.25], [0.7, -1.3]], dtype=engine.float64)
    rec = CallTraceRecorder()
    with observe.observing(rec):
        F.threshold(X @ w, 0.1, -2.0).pow(2).sum().backward()
    (report,) = check_all(rec.calls)
    assert report.ok, report.failures
    assert sum(t.checked for t in report.targets) == 4
    for e in report.elements:
        assert e.symbolic == pytest.approx(e.engine, rel=1e-9, abs=1e-12)
        assert e.finite == pytest.approx(e.engine, rel=1e-5, abs=1e-8)


def _threshold_run(m, FF, a, dtype):
    x = m.tensor(a, requires_grad=dtype != "int64")
    out = FF.threshold(x, 0.25, -7.5)
    if dtype == "int64":
        return [out.tolist(), str(out.dtype)]
    out.pow(3).sum().backward()
    (g,) = m.autograd.grad(FF.threshold(x, 0.25, -7.5).pow(3).sum(), x, create_graph=True)
    (h,) = m.autograd.grad(g.sum(), x)
    return [out.tolist(), x.grad.tolist(), g.grad_fn.name(), h.tolist(), str(out.dtype)]


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_matches_pytorch(dtype):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF

    a = np.array([-2.0, -0.25, 0.0, 0.25, 0.5, 3.0]).astype(dtype)
    assert _threshold_run(engine, F, a, dtype) == _threshold_run(torch, TF, a, dtype)


def test_torch_level_names_are_the_functional_ones():
    x = engine.tensor([1.0, 2.0])
    assert engine.threshold(x, 1.5, 0.0).tolist() == [0.0, 2.0]
    assert engine.threshold_(x, 1.5, -1.0) is x and x.tolist() == [-1.0, 2.0]
    assert engine.celu(engine.tensor([-1.0])).item() == pytest.approx(np.expm1(-1.0), rel=1e-6)
    selu = engine.selu(engine.tensor([0.0, 1.0])).tolist()
    assert selu == pytest.approx([0.0, 1.0507009873554805])  # scale * x above 0
