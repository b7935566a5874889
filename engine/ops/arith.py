"""Arithmetic op rows beyond the operators: ``lerp`` (a number or a tensor weight) and
integer-style division — ``remainder`` (``%``), ``div`` with a ``rounding_mode`` and the
``NotImplemented`` node of ``floor_divide`` (and of a number ``%`` a tensor), whose backward
raises, as PyTorch's does. The public functions (``engine.arith_more``, ``engine.division``)
check the arguments and promote the operands; the forwards get arrays in the result's dtype."""

from __future__ import annotations

import numpy as np

from .table import register


# ---- lerp --------------------------------------------------------------------------------------
def _lerp_np(start, end, weight):
    # ATen's lerp: start + w * (end - start) for |w| < 0.5, else end - (end - start) * (1 - w)
    diff = end - start
    return np.where(np.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))


def lerp_fwd(x, e, w):
    """``w`` a Python number."""
    out = np.asarray(_lerp_np(x, e, x.dtype.type(w))).astype(x.dtype, copy=False)
    return out, (x.shape, e.shape, w)


def lerp_t_fwd(x, e, w):
    """``w`` an array (in ``x``'s dtype)."""
    w = w.astype(x.dtype, copy=False)
    return _lerp_np(x, e, w).astype(x.dtype, copy=False), (x.shape, e.shape, w.shape)


register("lerp", "LerpBackward0", lerp_fwd,
         lambda m, g, out, s, a, need: (
             m.sum_to(g * (1.0 - a[2]), a[0]) if need[0] else None,
             m.sum_to(g * a[2], a[1]) if need[1] else None),
         doc="a + w (b - a), w a number",
         sym=lambda ns, args, attrs, out_shape:
             args[0] + (args[1] - args[0]) * ns.scalar(attrs[2]))
register("lerp_t", "LerpBackward1", lerp_t_fwd,
         lambda m, g, out, s, a, need: (
             m.sum_to(g * (1.0 - s[2]), a[0]) if need[0] else None,
             m.sum_to(g * s[2], a[1]) if need[1] else None,
             m.sum_to(g * (s[1] - s[0]), a[2]) if need[2] else None),
         save_inputs=True, doc="a + w (b - a)",
         sym=lambda ns, args, attrs, out_shape: args[0] + (args[1] - args[0]) * args[2])


# ---- remainder, div(rounding_mode=), floor_divide ------------------------------------------------
def _float_remainder(x, y):
    # ATen's: fmod, then moved into the divisor's sign (so -0.0 % 1.0 stays -0.0)
    mod = np.fmod(x, y)
    fix = (mod != 0) & ((y < 0) != (mod < 0))
    return np.where(fix, mod + y, mod).astype(mod.dtype, copy=False)


def _trunc_divide(x, y):
    if x.dtype.kind == "f":
        return np.trunc(x / y)
    q = np.floor_divide(x, y)
    return q + ((np.remainder(x, y) != 0) & ((x < 0) != (y < 0))).astype(q.dtype)


def _remainder_np(a, b):
    return _float_remainder(a, b) if a.dtype.kind == "f" else np.remainder(a, b)


def _in(out, dtype):
    out = np.asarray(out)
    return out if out.dtype == dtype else out.astype(dtype)


def remainder_fwd(a, b):
    """``a % b`` with the divisor's sign (``a``, ``b`` in the promoted dtype, a nonzero integer
    divisor checked)."""
    return _in(_remainder_np(a, b), a.dtype), (a.shape, b.shape)


_ROUNDED = {None: np.true_divide, "floor": np.floor_divide, "trunc": _trunc_divide}


def div_mode_fwd(a, b, mode):
    """``a / b`` rounded by ``mode`` (None: not rounded; the operands then floating)."""
    return _in(_ROUNDED[mode](a, b), a.dtype), (mode, a.shape, b.shape)


_UNDIFFERENTIABLE = {"remainder": _remainder_np, "floor_divide": np.floor_divide}


def not_implemented_fwd(a, b, name):
    """The forward of op ``name`` ("remainder": a number % a tensor, "floor_divide") whose node
    has no derivative."""
    return _in(_UNDIFFERENTIABLE[name](a, b), a.dtype), (name,)


def _remainder_vjp(m, g, out, s, a, need):
    sa, sb = a
    self_grad = m.sum_to(g, sa) if need[0] else None
    if not need[1]:
        return (self_grad, None)
    x, y = s
    if isinstance(g, np.ndarray | np.generic):
        q = np.floor_divide(x.astype(g.dtype, copy=False), y.astype(g.dtype, copy=False))
    else:  # create_graph: the quotient as PyTorch records it (DivBackward2)
        q = x.div(y, rounding_mode="floor")
    return (self_grad, m.sum_to(-g * q, sb))


def _div_mode_vjp(m, g, out, s, a, need):
    mode, sa, sb = a
    if mode is not None:  # rounding: piecewise constant
        return (m.sum_to(m.zeros_like(g), sa) if need[0] else None,
                m.sum_to(m.zeros_like(g), sb) if need[1] else None)
    x, y = s
    return (m.sum_to(g / y, sa) if need[0] else None,
            m.sum_to(-g * x / (y * y), sb) if need[1] else None)


def _not_implemented_vjp(m, g, out, s, a, need):
    raise RuntimeError(f"derivative for aten::{a[0]} is not implemented")


# symbolically rounding is a flat function (derivative 0, as the engine and PyTorch say)
def _sym_remainder(ns, args, attrs, out_shape):
    x, y = args
    return x - y * ns.floor_div(x, y)


def _sym_div_mode(ns, args, attrs, out_shape):
    x, y = args
    mode = attrs[0]
    if mode is None:
        return x / y
    return ns.floor_div(x, y) if mode == "floor" else ns.trunc_div(x, y)


def _sym_not_implemented(ns, args, attrs, out_shape):
    x, y = args
    if attrs[0] == "floor_divide":
        return ns.floor_div(x, y)
    return _sym_remainder(ns, (y, x), attrs, out_shape)  # a number % a tensor, recorded (b, a)


register("remainder", "RemainderBackward0", remainder_fwd, _remainder_vjp,
         doc="a - b * floor(a / b) (b a number)", sym=_sym_remainder)
register("remainder_tt", "RemainderBackward1", remainder_fwd, _remainder_vjp, save_inputs=True,
         doc="a - b * floor(a / b)", sym=_sym_remainder)
register("div_mode", "DivBackward2", div_mode_fwd, _div_mode_vjp, save_inputs=True,
         doc="a / b, rounded toward -inf ('floor') or 0 ('trunc') or not (None)",
         sym=_sym_div_mode)
register("not_implemented", "NotImplemented", not_implemented_fwd, _not_implemented_vjp,
         doc="an op PyTorch has no derivative for (floor_divide, number % tensor)",
         sym=_sym_not_implemented)
