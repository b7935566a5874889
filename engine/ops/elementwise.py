"""Elementwise op rows: arithmetic with PyTorch's promotion (``add`` ... ``pow``), the core
functions (``exp``, ``log``, ``sin``, ...), rounding, ``abs``, ``clamp``, ``maximum``/``minimum``
and ``where``."""

from __future__ import annotations

import builtins
import math

import numpy as np

from ..f32_consts import CONSTS, F32, const
from ..fused import fma, fma32
from ..ns import relu_np
from .table import pair, register


# ---- elementwise binary (inputs may be Python scalars: then their grad is never needed) -------
def _cast_back(m, grads, a):
    """Grads of inputs whose dtype the op promoted, in the inputs' own dtypes (attrs carry the
    dtypes only when they differ from the result's)."""
    if len(a) < 4:
        return grads
    return tuple(None if g is None or d.kind != "f" else m.cast(g, d)
                 for g, d in zip(grads, a[2:]))


# add, sub and mul call _cast_back only when attrs carry dtypes: one call less per node
def _add_vjp(m, g, out, s, a, need):
    grads = (m.sum_to(g, a[0]) if need[0] else None, m.sum_to(g, a[1]) if need[1] else None)
    return grads if len(a) < 4 else _cast_back(m, grads, a)


def _sub_vjp(m, g, out, s, a, need):
    grads = (m.sum_to(g, a[0]) if need[0] else None, m.sum_to(-g, a[1]) if need[1] else None)
    return grads if len(a) < 4 else _cast_back(m, grads, a)


def _mul_vjp(m, g, out, s, a, need):
    b = s[1]
    tb = type(b)
    if (tb is float or tb is int) and type(g) is np.ndarray and g.dtype is F32 and len(a) < 4:
        # a float32 grad times a Python number (y * 1.01): the number as a 0-d float32
        # array, as in the forward; a number's own grad is never needed
        c = CONSTS.get(b)
        return (m.sum_to(g * (c if c is not None else const(b)), a[0]) if need[0] else None,
                None)
    grads = (m.sum_to(g * b, a[0]) if need[0] else None,
             m.sum_to(g * s[0], a[1]) if need[1] else None)
    return grads if len(a) < 4 else _cast_back(m, grads, a)


def _div_vjp(m, g, out, s, a, need):
    return _cast_back(m, (m.sum_to(g / s[1], a[0]) if need[0] else None,
                          # PyTorch's order, -g * ((a / b) / b): its rounding, its inf and nan
                          m.sum_to(-g * (s[0] / s[1] / s[1]), a[1]) if need[1] else None), a)


# the arithmetic rows' forwards are the Tensor operators (tensor.py: alpha=, scalars, in place)
register("add", "AddBackward0", np.add, _add_vjp, doc="a + b", kind="binary",
         sym=lambda ns, x, y: x + y)
register("sub", "SubBackward0", np.subtract, _sub_vjp, doc="a - b", kind="binary",
         sym=lambda ns, x, y: x - y)


# ---- add / sub with alpha != 1: one node carrying alpha, as PyTorch's AddBackward0/SubBackward0
def _madd(a, b, alpha, dt):
    """``a + alpha * b`` in ``dt`` as ATen's CPU kernel rounds it: alpha in ``dt`` first, then one
    rounding for float32 and float64 (a fused multiply-add), float16 through float32."""
    if type(b) is not np.ndarray:
        b = np.asarray(b).astype(dt)  # a number operand is wrapped in the result's dtype
    if dt.kind == "f":
        c = dt.type(alpha)
        if dt == np.float16:
            return fma32(np.asarray(b, np.float32), np.float32(c), a).astype(dt)
        return fma(b, c, a, dt)
    if dt.kind == "b":
        return np.logical_or(a, np.logical_and(b, builtins.bool(alpha)))
    return np.add(a, np.multiply(b, np.asarray(alpha).astype(dt), dtype=dt), dtype=dt)


def add_alpha_fwd(a, b, alpha):
    """``a + alpha * b``: ``a`` an array in the result's dtype, ``b`` one too or a Python number,
    ``alpha`` a Python number already checked against that dtype."""
    return np.asarray(_madd(a, b, alpha, a.dtype)), (a.shape, np.shape(b), alpha)


def sub_alpha_fwd(a, b, alpha):
    """``a - alpha * b`` (ATen's sub is its add with -alpha)."""
    return np.asarray(_madd(a, b, -alpha, a.dtype)), (a.shape, np.shape(b), alpha)


# attrs: (a's shape, b's shape, [a's dtype, b's dtype,] alpha); alpha scales b's grad
def _add_alpha_vjp(m, g, out, s, a, need):
    return _cast_back(m, (m.sum_to(g, a[0]) if need[0] else None,
                          m.sum_to(g * a[-1], a[1]) if need[1] else None), a)


def _sub_alpha_vjp(m, g, out, s, a, need):
    return _cast_back(m, (m.sum_to(g, a[0]) if need[0] else None,
                          m.sum_to(-g * a[-1], a[1]) if need[1] else None), a)


register("add_alpha", "AddBackward0", add_alpha_fwd, _add_alpha_vjp, doc="a + alpha b",
         sym=lambda ns, args, attrs, out_shape: args[0] + ns.scalar(attrs[-1]) * args[1])
register("sub_alpha", "SubBackward0", sub_alpha_fwd, _sub_alpha_vjp, doc="a - alpha b",
         sym=lambda ns, args, attrs, out_shape: args[0] - ns.scalar(attrs[-1]) * args[1])


def rsub_fwd(x, c, dtype):
    """``c - x`` in the promoted ``dtype``; the constant is the node's attrs (replays read it)."""
    return np.asarray(c, dtype=dtype) - x.astype(dtype, copy=False), c


register("rsub", "RsubBackward1", rsub_fwd, lambda m, g, out, s, a, need: (-g,), doc="c - a",
         sym=lambda ns, args, attrs, out_shape: ns.scalar(attrs) - args[0])
register("mul", "MulBackward0", np.multiply, _mul_vjp, save_inputs=True, doc="a * b",
         kind="binary", sym=lambda ns, x, y: x * y)
register("div", "DivBackward0", np.true_divide, _div_vjp, save_inputs=True, doc="a / b",
         kind="binary", sym=lambda ns, x, y: x / y)


def _by_number(ufunc):
    """``fwd(x, c) -> (ufunc(x, c) in x's dtype, c)``: ATen's op with a Scalar ``c``, which
    backward formulas call (mean's ``grad.expand(sizes) / numel``, pow's
    ``grad * (exponent * self.pow(exponent - 1))``)."""
    def fwd(x, c):
        out = ufunc(x, c)
        return (out if out.dtype == x.dtype else out.astype(x.dtype)), c

    fwd.__qualname__ = fwd.__name__ = f"{ufunc.__name__}_scalar_fwd"
    return fwd


register("div_scalar", "DivBackward1", _by_number(np.true_divide),
         lambda m, g, out, s, a, need: (g / a,), doc="a / c (c a number)",
         sym=lambda ns, args, attrs, out_shape: args[0] / ns.scalar(attrs))

register("mul_scalar", "MulBackward1", _by_number(np.multiply),
         lambda m, g, out, s, a, need: (m.mul_scalar(g, a),), doc="a * c (c a number)",
         sym=lambda ns, args, attrs, out_shape: args[0] * ns.scalar(attrs))
register("reciprocal", "ReciprocalBackward0", np.reciprocal,
         lambda m, g, out, s, a, need: (-g * out * out,), save_out=True, doc="1 / a",
         kind="unary", sym=lambda ns, x: ns.scalar(1) / x)


def _pow_scalar_vjp(m, g, out, s, a, need):
    e = a
    if e == 0:
        return (m.zeros_like(g),)
    return (m.pow_scalar_grad(g, s[0], e),)


register("pow", "PowBackward0", np.power, _pow_scalar_vjp, save_inputs=True,
         doc="a ** e (e a number)", sym=lambda ns, args, attrs, out_shape: ns.pow(args[0], attrs))


def _pow_tensor_vjp(m, g, out, s, a, need):
    base, e = s

    def d_base():
        if m.dtype_kind(e) == "b":  # PyTorch's formula subtracts 1 from the bool exponent
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                               "supported. If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        # PyTorch's: 0 where the exponent is 0 (0 * 0**-1 would be nan at a zero base)
        return m.sum_to(m.where(e == 0, 0.0, g * (e * base ** (e - 1.0))), a[0])

    def d_exp():
        # d/de base**e = base**e * log(base); 0 where base == 0 and e >= 0 (the limit), PyTorch's
        # -inf/inf where base == 0 and e < 0
        return m.sum_to(_pow_exponent_grad(m, g, out, base, e), a[1])

    return _cast_back(m, pair(need, d_base, d_exp), a)


def _pow_exponent_grad(m, g, out, base, e):
    # PyTorch's g * where(...): a nan or inf g stays nan where the limit is 0
    return g * m.where((base == 0) * (e >= 0), 0.0, out * m.log(base))


def _rpow_vjp(m, g, out, s, a, need):
    if a == 0:  # 0 ** x: 0 for x >= 0, -inf (times g) for x < 0
        return (g * m.where(s[0] >= 0, 0.0, out * -math.inf),)
    return (g * (out * float(np.log(a))) if a > 0 else g * (out * math.nan),)


def _power(a, b):
    """``np.power``, with C's integer powers for negative integer exponents (PyTorch gives 0,
    or +-1 for a base of +-1, where numpy raises)."""
    if a.dtype.kind == "b" and b.dtype.kind == "b":
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    if a.dtype.kind in "iub" and b.dtype.kind in "iub" and np.any(b < 0):
        neg = b < 0
        out = np.power(a, np.where(neg, 0, b))
        small = np.where(a == 1, 1, np.where(a == -1, np.where(b % 2 == 1, -1, 1), 0))
        return np.where(neg, small, out).astype(out.dtype, copy=False)
    return np.power(a, b)


register("pow_tt", "PowBackward1", _power, _pow_tensor_vjp, save_inputs=True, save_out=True,
         doc="a ** b", kind="binary", sym=lambda ns, x, y: x**y)
def rpow_fwd(x, c, dtype):
    """``c ** x`` in the promoted ``dtype``."""
    return np.asarray(_power(np.asarray(c, dtype=dtype), x.astype(dtype))), float(c)


register("rpow", "PowBackward2", rpow_fwd, _rpow_vjp, save_inputs=True, save_out=True,
         doc="c ** a", sym=lambda ns, args, attrs, out_shape: ns.rpow(attrs, args[0]))

# ---- elementwise unary -------------------------------------------------------------------------
# the core functions' forwards are Tensor methods in tensor.py (integer and bool rules of their
# own); their rows carry the node, the VJP and the symbolic forward
register("neg", "NegBackward0", np.negative, lambda m, g, out, s, a, need: (-g,), doc="-a",
         kind="unary", sym=lambda ns, x: -x)
register("exp", "ExpBackward0", np.exp, lambda m, g, out, s, a, need: (g * out,), save_out=True,
         doc="exp(a)", kind="unary", sym=lambda ns, x: ns.exp(x))
register("log", "LogBackward0", np.log, lambda m, g, out, s, a, need: (g / s[0],),
         save_inputs=True, doc="log(a)", kind="unary", sym=lambda ns, x: ns.log(x))
register("sqrt", "SqrtBackward0", np.sqrt, lambda m, g, out, s, a, need: (g / (2.0 * out),),
         save_out=True, doc="sqrt(a)", kind="unary", sym=lambda ns, x: ns.sqrt(x))
register("sin", "SinBackward0", np.sin, lambda m, g, out, s, a, need: (g * m.cos(s[0]),),
         save_inputs=True, doc="sin(a)", kind="unary", sym=lambda ns, x: ns.sin(x))
register("cos", "CosBackward0", np.cos, lambda m, g, out, s, a, need: (-g * m.sin(s[0]),),
         save_inputs=True, doc="cos(a)", kind="unary", sym=lambda ns, x: ns.cos(x))
# tanh_grad/sigmoid_grad: under create_graph one recorded node each (engine.ops.activation_grads).
# tanh's symbolic rule stays in symbolic.rules_core: the matrix-form tests take it as the op
# whose matrix rule they remove, which a row's rule would derive again
register("tanh", "TanhBackward0", np.tanh,
         lambda m, g, out, s, a, need: (m.tanh_grad(g, out),), save_out=True, doc="tanh(a)",
         kind="unary")
def sigmoid(x):
    # split by sign so exp never overflows
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def relu(x):
    """``x`` not bool. ``Tensor.relu`` calls the float kernel ``relu_np`` itself (its hot path);
    a Python 0 keeps every integer dtype (NEP 50)."""
    return relu_np(x) if x.dtype.kind == "f" else np.maximum(x, 0)


register("sigmoid", "SigmoidBackward0", sigmoid,
         lambda m, g, out, s, a, need: (m.sigmoid_grad(g, out),), save_out=True,
         doc="1/(1+exp(-a))", kind="unary", sym=lambda ns, x: ns.sigmoid(x))
# relu_grad/elu_grad: under create_graph a recorded node of its own (engine.ops.activation_grads)
register("relu", "ReluBackward0", relu, lambda m, g, out, s, a, need: (m.relu_grad(g, out),),
         save_out=True, doc="max(a, 0)", kind="unary", sym=lambda ns, x: ns.relu(x))
# piecewise constant: zeros, not g * 0 (PyTorch's grad is 0 even where g is inf or nan)
_zero_vjp = lambda m, g, out, s, a, need: (m.zeros_like(g),)  # noqa: E731
def _sign(x):
    out = np.sign(x)
    if x.dtype.kind == "f":  # PyTorch's sign(nan) is 0
        out = np.where(np.isnan(out), 0, out).astype(out.dtype, copy=False)
    return out


register("sign", "SignBackward0", _sign, _zero_vjp, doc="sign(a)", kind="unary",
         sym=lambda ns, x: ns.sign(x))
register("floor", "FloorBackward0", np.floor, _zero_vjp, doc="floor(a)", kind="unary",
         sym=lambda ns, x: ns.floor(x))
register("ceil", "CeilBackward0", np.ceil, _zero_vjp, doc="ceil(a)", kind="unary",
         sym=lambda ns, x: ns.ceil(x))
register("round", "RoundBackward0", np.round, _zero_vjp, doc="round(a)", kind="unary",
         sym=lambda ns, x: ns.round(x))
register("abs", "AbsBackward0", np.abs, lambda m, g, out, s, a, need: (g * m.sign(s[0]),),
         save_inputs=True, doc="|a|", kind="unary", sym=lambda ns, x: ns.abs(x))


def _clamp_mask(x, lo, hi):
    if lo is None:
        return x <= hi
    if hi is None:
        return x >= lo
    return (x >= lo) * (x <= hi)


def zero_ties(out, x, lo, hi):
    """``out`` (x clamped to ``[lo, hi]``, either None) with PyTorch's signed zero: its clamp is
    ``x < lo ? lo : x`` (and ``x > hi ? hi : x``), so where x is a zero and 0 lies within the
    bounds the result is x itself (-0.0 stays -0.0), whichever zero numpy's maximum gave."""
    if x.dtype.kind == "f" and (lo == 0 or hi == 0) and (lo is None or lo <= 0) and (
            hi is None or hi >= 0):
        out = np.asarray(out)
        np.copyto(out, x, where=x == 0)
    return out


def clamp_fwd(x, lo, hi):
    """``x`` (already in the dtype the bounds promote it to) between numbers ``lo`` and ``hi``
    (either None)."""
    out = zero_ties(np.clip(x, lo, hi), x, lo, hi)
    return (out if out.dtype == x.dtype else out.astype(x.dtype)), (lo, hi)


def clamp_min_fwd(x, lo):
    return zero_ties(np.maximum(x, lo).astype(x.dtype, copy=False), x, lo, None), lo


register("clamp", "ClampBackward1", clamp_fwd,
         lambda m, g, out, s, a, need: (m.where(_clamp_mask(s[0], *a), g, 0.0),),
         save_inputs=True, doc="min(max(a, lo), hi)",
         sym=lambda ns, args, attrs, out_shape: ns.clamp(args[0], attrs[0], attrs[1]))
register("clamp_min", "ClampMinBackward0", clamp_min_fwd,
         lambda m, g, out, s, a, need: (m.where(s[0] >= a, g, 0.0),), save_inputs=True,
         doc="max(a, lo)",
         sym=lambda ns, args, attrs, out_shape: ns.clamp(args[0], attrs, None))


def _extremum_vjp(wins):
    def vjp(m, g, out, s, a, need):
        x, y = s
        # ties split the gradient in half, as PyTorch does; the masks pick from g (a float64
        # 0.5-mask would turn float32 grads into float64). Only the loser gets 0: where a nan
        # makes neither side win, both get g, as in PyTorch
        tie = x == y
        half = g * 0.5
        return pair(need, lambda: m.sum_to(m.where(wins(y, x), 0.0, m.where(tie, half, g)),
                                           m.shape(x)),
                    lambda: m.sum_to(m.where(wins(x, y), 0.0, m.where(tie, half, g)),
                                     m.shape(y)))

    return vjp


register("maximum", "MaximumBackward0", np.maximum, _extremum_vjp(lambda x, y: x > y),
         save_inputs=True, doc="max(a, b)", kind="binary", sym=lambda ns, x, y: ns.maximum(x, y))
register("minimum", "MinimumBackward0", np.minimum, _extremum_vjp(lambda x, y: x < y),
         save_inputs=True, doc="min(a, b)", kind="binary", sym=lambda ns, x, y: ns.minimum(x, y))
def where_fwd(a, b, cond):
    """``a`` where ``cond`` else ``b`` (both already in the promoted dtype)."""
    return np.where(cond, a, b), (cond, a.shape, b.shape)


register("where", "WhereBackward0", where_fwd,
         lambda m, g, out, s, a, need: pair(need,
                                            lambda: m.sum_to(m.where(a[0], g, 0.0), a[1]),
                                            lambda: m.sum_to(m.where(a[0], 0.0, g), a[2])),
         doc="cond ? a : b",
         sym=lambda ns, args, attrs, out_shape: ns.where(attrs[0], args[0], args[1]))


# ---- the rest of the elementwise functions, each bound from its row (engine.op_binding) -------
# log1p's and expm1's precision near 0, as PyTorch's Log1PBackward0/Expm1Backward0 nodes
register("log1p", "Log1PBackward0", np.log1p, lambda m, g, out, s, a, need: (g / (s[0] + 1.0),),
         save_inputs=True, doc="log(1 + a)", kind="unary", names=("log1p",),
         sym=lambda ns, x: ns.log(x + 1))
register("expm1", "Expm1Backward0", np.expm1,
         lambda m, g, out, s, a, need: (g * (out + 1.0),), save_out=True, doc="exp(a) - 1",
         kind="unary", names=("expm1",), sym=lambda ns, x: ns.exp(x) - 1)
# cosh's and sinh's VJPs use each other (ns.NP and tensor_ns.T carry both);
# rsqrt is one node, as PyTorch's RsqrtBackward0, so a hook on its output sees the second
# backward's grad too
register("sinh", "SinhBackward0", np.sinh,
         lambda m, g, out, s, a, need: (g * m.cosh(s[0]),), save_inputs=True, doc="sinh(a)",
         kind="unary", names=("sinh",), sym=lambda ns, x: ns.sinh(x))
register("atan", "AtanBackward0", np.arctan,
         lambda m, g, out, s, a, need: (g / (s[0] * s[0] + 1.0),), save_inputs=True,
         doc="atan(a)", kind="unary", names=("atan", "arctan"), sym=lambda ns, x: ns.atan(x))
register("rsqrt", "RsqrtBackward0", lambda x: 1.0 / np.sqrt(x),
         lambda m, g, out, s, a, need: (g * out * out * out * -0.5,), save_out=True,
         doc="1 / sqrt(a)", kind="unary", names=("rsqrt",), sym=lambda ns, x: 1 / ns.sqrt(x))
register("cosh", "CoshBackward0", np.cosh,
         lambda m, g, out, s, a, need: (g * m.sinh(s[0]),), save_inputs=True, doc="cosh(a)",
         kind="unary", names=("cosh",), sym=lambda ns, x: ns.cosh(x))


# tan ... atanh with their arc* aliases; derivatives as ATen writes them (tan' = 1 + tan² from
# the saved result)
def _inv_sqrt(v):
    return v ** -0.5  # numpy arrays and engine Tensors alike (create_graph)


register("tan", "TanBackward0", np.tan,
         lambda m, g, out, s, a, need: (g * (out * out + 1.0),), save_out=True, doc="tan(a)",
         kind="unary", names=("tan",), sym=lambda ns, x: ns.tan(x))
register("asin", "AsinBackward0", np.arcsin,
         lambda m, g, out, s, a, need: (g * _inv_sqrt(1.0 - s[0] * s[0]),), save_inputs=True,
         doc="asin(a)", kind="unary", names=("asin", "arcsin"), sym=lambda ns, x: ns.asin(x))
register("acos", "AcosBackward0", np.arccos,
         lambda m, g, out, s, a, need: (-g * _inv_sqrt(1.0 - s[0] * s[0]),),
         save_inputs=True, doc="acos(a)", kind="unary", names=("acos", "arccos"),
         sym=lambda ns, x: ns.acos(x))
register("asinh", "AsinhBackward0", np.arcsinh,
         lambda m, g, out, s, a, need: (g * _inv_sqrt(s[0] * s[0] + 1.0),), save_inputs=True,
         doc="asinh(a)", kind="unary", names=("asinh", "arcsinh"), sym=lambda ns, x: ns.asinh(x))
register("acosh", "AcoshBackward0", np.arccosh,
         lambda m, g, out, s, a, need: (g * _inv_sqrt(s[0] * s[0] - 1.0),), save_inputs=True,
         doc="acosh(a)", kind="unary", names=("acosh", "arccosh"), sym=lambda ns, x: ns.acosh(x))
register("atanh", "AtanhBackward0", np.arctanh,
         lambda m, g, out, s, a, need: (g / (1.0 - s[0] * s[0]),), save_inputs=True,
         doc="atanh(a)", kind="unary", names=("atanh", "arctanh"), sym=lambda ns, x: ns.atanh(x))

_LN10, _LN2 = math.log(10.0), math.log(2.0)


def _atan2_vjp(m, g, out, s, a, need):
    y, x = s
    denom = y * y + x * x
    return (m.sum_to(g * x / denom, a[0]) if need[0] else None,
            m.sum_to(-g * y / denom, a[1]) if need[1] else None)


def _via_double(f):
    """float32/half through float64, rounded once: numpy's float32 log10 is 1 ulp off at exact
    powers (log10(100) = 2.0000002), where PyTorch prints 2."""
    def fwd(x):
        if x.dtype == np.float64:
            return f(x)
        return f(x.astype(np.float64)).astype(x.dtype)

    return fwd


register("log10", "Log10Backward0", _via_double(np.log10),
         lambda m, g, out, s, a, need: (g / (s[0] * _LN10),), save_inputs=True, doc="log10(a)",
         kind="unary", names=("log10",), sym=lambda ns, x: ns.log(x) / ns.log(ns.scalar(10)))
register("log2", "Log2Backward0", _via_double(np.log2),
         lambda m, g, out, s, a, need: (g / (s[0] * _LN2),), save_inputs=True, doc="log2(a)",
         kind="unary", names=("log2",), sym=lambda ns, x: ns.log(x) / ns.log(ns.scalar(2)))
register("exp2", "Exp2Backward0", _via_double(np.exp2),
         lambda m, g, out, s, a, need: (g * out * _LN2,), save_out=True, doc="2 ** a",
         kind="unary", names=("exp2",), sym=lambda ns, x: ns.exp(x * ns.log(ns.scalar(2))))
register("atan2", "Atan2Backward0", np.arctan2, _atan2_vjp, save_inputs=True, doc="atan2(a, b)",
         kind="binary", names=("atan2", "arctan2"), sym=lambda ns, y, x: ns.atan2(y, x))


# ---- clamp_max: the public function (engine.more_ops) promotes and checks the bound -----------
register("clamp_max", "ClampMaxBackward0",
         lambda x, hi: (zero_ties(np.minimum(x, hi).astype(x.dtype, copy=False), x, None, hi),
                        hi),
         lambda m, g, out, s, a, need: (g * (s[0] <= a),), save_inputs=True, doc="min(a, hi)",
         sym=lambda ns, args, attrs, out_shape: ns.clamp(args[0], None, attrs))
