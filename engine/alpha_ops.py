"""``add``/``sub`` with ``alpha`` (``torch.add(x, y, alpha=2)``, ``p.sub_(g, alpha=lr)``):
``Tensor.add``/``sub``/``subtract`` are bound from here; ``Tensor.add_``/``sub_`` (in
``engine.tensor_inplace``) call ``add_``/``sub_`` here for an alpha other than the default.

PyTorch records one AddBackward0/SubBackward0 that keeps alpha (``grad_fn._saved_alpha``) and
scales ``other``'s grad by it, computes ``self + alpha * other`` with ATen's rounding (the rows
``add_alpha``/``sub_alpha`` of ``engine.ops.elementwise``) and checks alpha against the result's
dtype. ``alpha`` left at its default takes the operators' path unchanged (one identity test).
``mul``/``multiply`` are bound here too: their argument errors come from the same parser
(``engine.arith_args``)."""

from __future__ import annotations

import builtins

import numpy as np

from . import arith_args
from .arith_args import MISSING
from .dispatch import _binary, _broadcast_error, _check_bool_sub, _operand, _promote, record
from .grad_mode import mode as _mode
from .ops import OPS
from .tensor_data import Tensor, _wrap, bind_methods

_ONE = 1  # the default alpha: the same int object whenever a script writes alpha=1
_ROWS = {"add": OPS["add_alpha"], "sub": OPS["sub_alpha"]}
_C_TYPES = {"float16": "c10::Half", "float32": "float", "float64": "double", "int8": "int8_t",
            "int16": "int16_t", "int32": "int", "int64": "int64_t", "uint8": "uint8_t"}


def _type_name(v) -> str:
    t = type(v)
    if isinstance(v, Tensor) or t.__module__ == "builtins":
        return t.__name__ if not isinstance(v, Tensor) else "Tensor"
    return f"{t.__module__}.{t.__qualname__}"


def alpha_number(name: str, alpha):
    """``alpha`` as a Python number, or PyTorch's TypeError for what is not a number (a 0-d
    tensor is one; numpy's bool counts as the integer it is)."""
    t = type(alpha)
    if t is builtins.int or t is builtins.float or t is builtins.bool or t is builtins.complex:
        return alpha
    if isinstance(alpha, np.bool_):
        return builtins.int(alpha)
    if isinstance(alpha, np.number):
        return alpha.item()
    if isinstance(alpha, Tensor) and alpha.ndim == 0:
        return alpha.item()
    for kind in (builtins.int, builtins.float, builtins.complex):  # subclasses (IntEnum...)
        if isinstance(alpha, kind):
            return kind(alpha)
    raise TypeError(f"{name}(): argument 'alpha' must be Number, not {_type_name(alpha)}")


def _overflows(value, dt) -> bool:
    """Whether ATen's checked conversion of ``value`` to ``dt`` refuses it."""
    if dt.kind == "f":
        v = builtins.float(value)
        return np.isfinite(v) and builtins.abs(v) > np.finfo(dt).max
    info = np.iinfo(dt)
    if dt.kind == "u":  # unsigned: a negative value wraps while its magnitude fits
        return value > info.max or (value < 0 and -value > info.max)
    return value < info.min or value > info.max


def check_alpha(alpha, dt, negate=False):
    """PyTorch's checks of ``alpha`` for a result of numpy dtype ``dt`` (sub checks -alpha:
    ATen's sub is its add with the sign flipped)."""
    if type(alpha) is builtins.int and not -2 ** 63 <= alpha < 2 ** 64:
        raise OverflowError("int too big to convert")
    if type(alpha) is builtins.bool and dt.kind != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if dt.kind in "biu" and type(alpha) is not builtins.int and type(alpha) is not builtins.bool:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    if type(alpha) is builtins.complex and dt.kind != "c":
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex "
                           "number.")
    if dt.kind != "b" and _overflows(-alpha if negate else alpha, dt):
        raise RuntimeError(f"value cannot be converted to type {_C_TYPES.get(dt.name, dt.name)} "
                           "without overflow")


def scaled(name: str, a: Tensor, other, alpha):
    """``a + alpha * other`` (``name`` "add") or ``a - alpha * other`` ("sub"), ``alpha`` a
    Python number: one node of the op's alpha row, or the operator's node for an integer 1."""
    b = _operand(other)
    if b is NotImplemented:
        raise TypeError(f"{name}(): argument 'other' must be Tensor or Number, not "
                        f"{_type_name(other)}")
    sub = name == "sub"
    if sub:
        _check_bool_sub(a, b)
    dt = _promote(a, b)
    check_alpha(alpha, dt, sub)
    if (type(alpha) is builtins.int and alpha == 1) or (dt.kind == "b" and alpha):
        return a - b if sub else a + b
    ad = a._data
    bt = isinstance(b, Tensor)
    bd = b._data if bt else b
    if ad.dtype != dt:
        ad = ad.astype(dt)
    if bt and bd.dtype != dt:
        bd = bd.astype(dt)
    row = _ROWS[name]
    try:
        out, attrs = row.fwd(ad, bd, alpha)
    except ValueError:
        raise _broadcast_error(np.shape(ad), np.shape(bd)) from None
    res = _wrap(out)
    if _mode.enabled and (a._rg or (bt and b._rg)):
        da = a._data.dtype
        db = b._data.dtype if bt else dt
        if da != dt or db != dt:  # grads of promoted inputs are cast back to their dtypes
            attrs = (*attrs[:2], da, db, attrs[2])
        record(row, res, (a, b), attrs)
    return res


# A surplus positional argument or a missing one leaves the fast path for arith_args, which
# words PyTorch's error (or takes the deprecated ``add(alpha, other)``); an operand the
# dispatcher refuses is named there too (``x.add("s")``). Like PyTorch's methods, these never
# defer to the other operand's reflected operator. One closure per name: a call costs what a
# written-out method costs.
def _alpha_method(op: str):
    def method(self, other=MISSING, *extra, alpha=_ONE):
        if alpha is _ONE and not extra:
            try:
                r = _binary(op, self, other)
            except TypeError:
                arith_args.check(op, "method", (other,))
                raise
            if r is NotImplemented:
                arith_args.refuse(op, "method", (other,))
            return r
        if extra or other is MISSING:
            other, alpha = arith_args.parse(op, "method", (other,), extra, {"alpha": alpha})
        return scaled(op, self, other, alpha_number(op, alpha))

    method.__code__ = method.__code__.replace(co_name=op, co_qualname=op)  # Python's errors
    method.__name__ = op
    return method


def _mul_method(name: str):
    def method(self, other=MISSING, *extra):
        if extra:
            arith_args.parse(name, "method", (other,), extra)
        try:
            r = _binary("mul", self, other)
        except TypeError:
            arith_args.check(name, "method", (other,))
            raise
        if r is NotImplemented:
            arith_args.refuse(name, "method", (other,))
        return r

    method.__code__ = method.__code__.replace(co_name=name, co_qualname=name)
    method.__name__ = name
    return method


class _AlphaMethods:
    add = _alpha_method("add")
    sub = _alpha_method("sub")
    mul = _mul_method("mul")
    multiply = _mul_method("multiply")

    def subtract(self, other=MISSING, *extra, alpha=_ONE):
        if extra or other is MISSING:  # its second overload takes (other, alpha) by position
            other, alpha = arith_args.parse("subtract", "method", (other,), extra,
                                            {"alpha": alpha})
        try:
            return self.sub(other, alpha=alpha)
        except TypeError:
            arith_args.check("subtract", "method", (other,))
            raise


bind_methods(Tensor, _AlphaMethods)
for _name in ("add", "sub", "subtract", "mul", "multiply"):
    getattr(Tensor, _name).__qualname__ = _name  # Python's own binding errors name it as PyTorch


def add_(t, other, alpha):
    """``t.add_(other, alpha=alpha)`` for an ``alpha`` other than the default."""
    alpha = alpha_number("add_", alpha)
    return t._inplace(lambda s, o: scaled("add", s, o, alpha), other)


def sub_(t, other, alpha):
    """``t.sub_(other, alpha=alpha)`` for an ``alpha`` other than the default (the bool checks
    done)."""
    alpha = alpha_number("sub_", alpha)
    return t._inplace(lambda s, o: scaled("sub", s, o, alpha), other)
