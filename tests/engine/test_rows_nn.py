"""The activation family's rows (``engine/ops/nn.py``) are whole: each has a numpy forward the
public op runs, records its node, differentiates as finite differences say, has a symbolic
rule giving the forward's value, and agrees with PyTorch."""

from __future__ import annotations

import numpy as np
from row_checks import Case, RowTests, functional

from engine.ops import nn

rng = np.random.default_rng(11)
X = rng.uniform(-4.0, 4.0, (2, 5))
X[0, 0], X[1, 1] = 0.31, -0.47  # clear of every kink


def _f(key, name, *args, **kw):
    """The case of ``F.<name>(X, *args, **kw)``, whose row's forward takes ``kw``."""
    return Case(key, functional(name, *args, **kw), (X,), kw=kw)


CASES = [
    Case("softmax", lambda m, a: a.softmax(1), (X,), kw={"dim": 1}),
    Case("log_softmax", lambda m, a: m.log_softmax(a, 0), (X,), kw={"dim": 0}),
    Case("leaky_relu", functional("leaky_relu", 0.2), (X,), kw={"negative_slope": 0.2}),
    Case("leaky_relu_", lambda m, a: m.nn.functional.leaky_relu(a * 1, 0.2, inplace=True), (X,),
         kw={"negative_slope": 0.2}),
    Case("elu", functional("elu", 0.7), (X,), kw={"alpha": 0.7}),
    Case("elu_", lambda m, a: m.nn.functional.elu(a * 1, 0.7, inplace=True), (X,),
         kw={"alpha": 0.7}),
    _f("gelu", "gelu", approximate="tanh"),
    _f("silu", "silu"),
    Case("softplus", functional("softplus", 2.0, 3.0), (X,), kw={"beta": 2.0, "threshold": 3.0}),
    Case("erf", lambda m, a: a.erf(), (X,)),
    # grad_rtol: PyTorch's celu backward scales by a float32-rounded 1 / alpha
    Case("celu", functional("celu", 0.6), (X,), kw={"alpha": 0.6}, grad_rtol=1e-6),
    *[_f(name, name) for name in ("selu", "hardsigmoid", "hardswish", "mish", "logsigmoid")],
    Case("threshold", functional("threshold", 0.5, -2.0), (X,),
         kw={"threshold": 0.5, "value": -2.0}),
    Case("threshold_", lambda m, a: m.nn.functional.threshold(a * 1, 0.5, 3.0, inplace=True),
         (X,), kw={"threshold": 0.5, "value": 3.0}),
]


class TestActivationRows(RowTests):
    """The activation family's rows: rules that need sympy-only constructs (function classes
    carrying their kink conventions and numpy twins, Piecewise) stay in symbolic's table."""

    cases = CASES
    families = (nn,)
    kept_in_symbolic = {
        **dict.fromkeys(("leaky_relu", "leaky_relu_", "elu", "elu_", "celu", "selu"),
                        "a sympy function whose derivative takes PyTorch's branch at 0"),
        **dict.fromkeys(("hardsigmoid", "hardswish"), "a sympy function with its kinks at +-3"),
        "softplus": "a sympy function with the threshold's switch to the identity",
        **dict.fromkeys(("threshold", "threshold_"),
                        "a sympy function whose derivative is 0 at the threshold"),
        "erf": "sympy's erf with the engine's float erf as its numpy twin",
        "gelu": "built on that erf (or tanh) with the float32 constants' digits",
        "silu": "written with sp.exp and a tanh-based numpy twin",
        "mish": "written with sp.exp/sp.log and a numpy twin that does not overflow",
        "logsigmoid": "written with sp.exp/sp.log and a numpy twin that does not overflow",
    }
