"""Every running-reduction, arithmetic and activation-backward row (``engine/ops/scan.py``,
``arith.py``, ``activation_grads.py``) is whole: forward, node, backward, symbolic rule,
PyTorch's values and grads."""

from __future__ import annotations

import numpy as np
import pytest
from row_checks import Case, RowTests

import engine
from engine.ops import activation_grads, arith, scan
from engine.tensor_ns import T

X = np.array([[0.5, -1.25, 2.0], [1.5, 0.75, -0.25]])
Y = np.array([[1.0, 0.25, -3.0], [-0.5, 2.5, 1.75]])
D = np.array([[0.7, 0.3, -1.1], [-0.45, 2.5, 1.75]])  # no quotient X / D near a whole number
W = np.array([[0.2, 0.9, -0.3], [0.6, 0.45, 1.2]])
F64 = np.dtype(np.float64)


def _backward(name, *params):
    """The recorded backward of an activation: ``tensor_ns.T`` on the engine, ATen's
    ``<name>_backward`` op on PyTorch."""
    engine_form = {"threshold": "relu_grad", "leaky_relu": "leaky_grad",
                   "hardtanh": "hardtanh_grad", "elu": "elu_grad"}.get(name, name + "_grad")

    def call(m, g, y):
        if m is engine:
            return getattr(T, engine_form)(g, y, *params[:1]) if params else \
                getattr(T, engine_form)(g, y)
        return getattr(m.ops.aten, name + "_backward")(g, *TORCH_ARGS[name](y, params))

    return call


TORCH_ARGS = {
    "tanh": lambda y, p: (y,), "sigmoid": lambda y, p: (y,),
    "threshold": lambda y, p: (y, 0), "leaky_relu": lambda y, p: (y, p[0], False),
    "hardtanh": lambda y, p: (y, *p[0]), "elu": lambda y, p: (p[0], 1, 1, False, y),
}

CASES = [
    Case("cummax", lambda m, x: x.cummax(1).values, (X,), (1,)),
    Case("cummin", lambda m, x: m.cummin(x, 0).values, (X,), (0,)),
    Case("logcumsumexp", lambda m, x: x.logcumsumexp(1), (X,), (1,)),
    Case("cumprod", lambda m, x: x.cumprod(1), (X,), (1, F64)),
    Case("lerp", lambda m, x, e: m.lerp(x, e, 0.3), (X, Y), (0.3,)),
    Case("lerp_t", lambda m, x, e, w: x.lerp(e, w), (X, Y, W)),
    Case("remainder", lambda m, x: x % 0.7, (X,), (np.asarray(0.7),),
         sym_args=lambda x: (x, 0.7)),
    Case("remainder_tt", lambda m, x, y: m.remainder(x, y), (X, D)),
    Case("div_mode", lambda m, x, y: m.div(x, y, rounding_mode=None), (X, Y), (None,)),
    Case("not_implemented", lambda m, x: x // 0.7, (X,), (np.asarray(0.7), "floor_divide"),
         fd=False, torch=False, sym_args=lambda x: (x, 0.7)),
    Case("hardtanh", lambda m, x: m.nn.functional.hardtanh(x, -1.0, 1.0), (X,), (-1.0, 1.0)),
    Case("tanh_backward", _backward("tanh"), (Y, np.tanh(X))),
    Case("sigmoid_backward", _backward("sigmoid"), (Y, 1 / (1 + np.exp(-X)))),
    Case("threshold_backward", _backward("threshold"), (Y, X)),
    Case("leaky_relu_backward", _backward("leaky_relu", 0.1), (Y, X), (0.1,)),
    Case("hardtanh_backward", _backward("hardtanh", (-1.0, 1.0)), (Y, X), ((-1.0, 1.0),)),
    Case("elu_backward", _backward("elu", 0.7), (Y, X), (0.7,)),
]


class TestScanArithRows(RowTests):
    cases = CASES
    families = (scan, arith, activation_grads)
    # rows whose symbolic rule needs a sympy-only construct and stays in symbolic (by key)
    kept_in_symbolic = {
        "hardtanh": "a sympy function whose derivative is 0 at the bounds, as PyTorch's",
        "threshold_backward": "Heaviside(y, 0): the engine's value at the kink",
        "leaky_relu_backward": "Heaviside(x, 0): the engine's value at the kink",
        "hardtanh_backward": "Heaviside steps at both bounds, 0 at the bounds",
        "elu_backward": "Heaviside steps on both sides of 0 with the engine's values at 0",
    }


@pytest.mark.torch
def test_floor_divide_records_a_node_whose_backward_raises_as_pytorchs():
    torch = pytest.importorskip("torch")
    errors = []
    for m in (engine, torch):
        x = m.tensor(X, requires_grad=True)
        out = x // 0.7
        assert type(out.grad_fn).__name__ == "NotImplemented"
        with pytest.raises(RuntimeError) as e:
            out.sum().backward()
        errors.append(str(e.value))
    assert errors[0] == errors[1]
