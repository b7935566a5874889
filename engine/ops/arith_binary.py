"""Rows of the elementwise arithmetic beyond the operators, each a numpy forward on the
promoted operands and its VJP: ``trunc``, ``frac``, ``fmod`` (a number or a tensor second
argument: ``FmodBackward0`` / ``FmodBackward1``), ``copysign`` (``CopysignBackward0`` /
``CopysignBackward1``) and ``logaddexp``. The public functions (``engine.arith_more``) check
their arguments and promote the operands; their symbolic rules are in ``symbolic.rules_arith``."""

from __future__ import annotations

import numpy as np

from .table import register


register("trunc", "TruncBackward0", np.trunc, lambda m, g, out, s, a, need: (g * 0.0,),
         doc="trunc(a)", kind="unary", sym=lambda ns, x: ns.trunc(x))
register("frac", "FracBackward0", lambda x: x - np.trunc(x),
         lambda m, g, out, s, a, need: (g,), doc="a - trunc(a)", kind="unary",
         sym=lambda ns, x: x - ns.trunc(x))


def fmod_np(x, y):
    if np.asarray(x).dtype.kind in "iub" and np.asarray(y).dtype.kind in "iub" \
            and np.any(np.asarray(y) == 0):
        raise RuntimeError("ZeroDivisionError")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.fmod(x, y)


def _fmod_tt_vjp(m, g, out, s, a, need):
    x, y = s
    return (m.sum_to(g, a[0]) if need[0] else None,
            m.sum_to(-g * m.trunc(x / y), a[1]) if need[1] else None)


register("fmod", "FmodBackward0", fmod_np, lambda m, g, out, s, a, need: (g,),
         doc="fmod(a, c)")
register("fmod_tt", "FmodBackward1", fmod_np, _fmod_tt_vjp, save_inputs=True, doc="fmod(a, b)")


def _copysign_self(m, g, out, x):
    zero = x == 0
    return g * m.where(zero, 0.0, out / m.where(zero, 1.0, x))


register("copysign", "CopysignBackward0", np.copysign,
         lambda m, g, out, s, a, need: (
             m.sum_to(_copysign_self(m, g, out, s[0]), a[0]) if need[0] else None,
             m.sum_to(g * 0.0, a[1]) if need[1] else None),
         save_inputs=True, save_out=True, doc="|a| sign(b)")
register("copysign_s", "CopysignBackward1", np.copysign,
         lambda m, g, out, s, a, need: (_copysign_self(m, g, out, s[0]),),
         save_inputs=True, save_out=True, doc="|a| sign(c)")


def _logaddexp_vjp(m, g, out, s, a, need):
    x, y = s
    return (m.sum_to(g / (m.exp(y - x) + 1.0), a[0]) if need[0] else None,
            m.sum_to(g / (m.exp(x - y) + 1.0), a[1]) if need[1] else None)


register("logaddexp", "LogaddexpBackward0", np.logaddexp, _logaddexp_vjp, save_inputs=True,
         doc="log(exp(a) + exp(b))")
