"""Integer-style division: ``%`` / ``remainder``, ``//`` / ``floor_divide`` and
``div(rounding_mode=...)``, with PyTorch's dtypes (the promoted dtype of the operands, so
``int32 % 3`` stays int32 and ``float32 % int32`` float32), its integer division-by-zero error
and its autograd: ``remainder`` records ``RemainderBackward0/1``, ``div`` with a rounding mode
``DivBackward2`` (a zero grad when rounding), and ``floor_divide`` (or a number ``%`` a tensor) a
``NotImplemented`` node whose backward raises, as PyTorch's does."""

from __future__ import annotations

import numpy as np

from . import _dtype, promotion
from .grad_mode import mode as _mode
from .ops import register
from .tensor import Tensor, _broadcast_error, _operand, _wrap, as_array, record

_UNSET = object()  # div()'s rounding_mode not given (DivBackward0) vs given as None (DivBackward2)


def _const(x, like):
    """``x`` (array or Tensor) as a plain array in ``like``'s dtype: a piecewise-constant factor
    whose own derivative is zero."""
    d = x._data if isinstance(x, Tensor) else np.asarray(x)
    dt = like._data.dtype if isinstance(like, Tensor) else np.asarray(like).dtype
    return d.astype(dt, copy=False)


def _remainder_vjp(m, g, out, s, a, need):
    sa, sb = a
    self_grad = m.sum_to(g, sa) if need[0] else None
    if not need[1]:
        return (self_grad, None)
    x, y = s
    if isinstance(g, Tensor):  # create_graph: the quotient as PyTorch records it (DivBackward2)
        q = div(x, y, rounding_mode="floor")
    else:
        q = _const(np.floor_divide(_const(x, g), _const(y, g)), g)
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


_REMAINDER = register("remainder", "RemainderBackward0", None, _remainder_vjp,
         doc="a - b * floor(a / b) (b a number)")
_REMAINDER_TT = register("remainder_tt", "RemainderBackward1", None, _remainder_vjp, save_inputs=True,
         doc="a - b * floor(a / b)")
_DIV_MODE = register("div_mode", "DivBackward2", None, _div_mode_vjp, save_inputs=True,
         doc="a / b, rounded toward -inf ('floor') or 0 ('trunc') or not (None)")
_NOT_IMPLEMENTED = register("not_implemented", "NotImplemented", None, _not_implemented_vjp,
         doc="an op PyTorch has no derivative for (floor_divide, number % tensor)")


def _operands(a, b, name):
    """numpy arrays (or a Python number) of ``a`` and ``b`` in their promoted dtype."""
    a, b = _operand(a), _operand(b)
    if a is NotImplemented or b is NotImplemented:
        raise TypeError(f"{name}(): argument 'other' must be Tensor or Number")
    dt = promotion.result_type(a, b)
    ad = a._data.astype(dt, copy=False) if isinstance(a, Tensor) else np.asarray(a, dt)
    bd = b._data.astype(dt, copy=False) if isinstance(b, Tensor) else np.asarray(b, dt)
    try:  # shapes are checked before dtypes, as in PyTorch
        np.broadcast_shapes(ad.shape, bd.shape)
    except ValueError:
        raise _broadcast_error(ad.shape, bd.shape) from None
    return a, b, ad, bd, dt


def _check_int(ad, bd, dt, kernel):
    if dt.kind == "b":
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    if dt.kind in "iu" and not np.all(bd):
        raise RuntimeError("ZeroDivisionError")


def _shaped(fn, ad, bd):
    try:
        return np.asarray(fn(ad, bd))
    except ValueError:
        raise _broadcast_error(np.shape(ad), np.shape(bd)) from None


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


def _finish(op, out, dt, a, b, attrs):
    if out.dtype != dt:
        out = out.astype(dt)
    t = _wrap(out)
    if _mode.enabled and any(isinstance(v, Tensor) and v._rg for v in (a, b)):
        record(op, t, (a, b), attrs)
    return t


def _shape(x):
    return x._data.shape if isinstance(x, Tensor) else ()


def remainder(input, other):
    """``torch.remainder``: Python's ``%`` (the result takes the divisor's sign)."""
    a, b, ad, bd, dt = _operands(input, other, "remainder")
    _check_int(ad, bd, dt, "remainder_cpu")
    out = _shaped(_float_remainder if dt.kind == "f" else np.remainder, ad, bd)
    if not isinstance(a, Tensor):
        return _finish(_NOT_IMPLEMENTED, out, dt, b, a, ("remainder",))
    key = _REMAINDER_TT if isinstance(b, Tensor) else _REMAINDER
    return _finish(key, out, dt, a, b, (ad.shape, _shape(b)))


def floor_divide(input, other):
    """``torch.floor_divide`` (``//``): rounds toward -inf; not differentiable."""
    a, b, ad, bd, dt = _operands(input, other, "floor_divide")
    _check_int(ad, bd, dt, "div_floor_cpu")
    out = _shaped(np.floor_divide, ad, bd)
    first, second = (a, b) if isinstance(a, Tensor) else (b, a)
    return _finish(_NOT_IMPLEMENTED, out, dt, first, second, ("floor_divide",))


def div(input, other, *, rounding_mode=_UNSET):
    """``torch.div`` / ``Tensor.div`` with PyTorch's ``rounding_mode``."""
    if rounding_mode is _UNSET:
        return (input if isinstance(input, Tensor) else _wrap(as_array(input))).__truediv__(other)
    if rounding_mode not in (None, "trunc", "floor"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    a, b, ad, bd, dt = _operands(input, other, "div")
    if rounding_mode is None:
        if dt.kind != "f":
            dt = _dtype._default[0].np
            ad, bd = ad.astype(dt), bd.astype(dt)
        out = _shaped(np.true_divide, ad, bd)
    else:
        _check_int(ad, bd, dt, f"div_{rounding_mode}_cpu")
        out = _shaped(np.floor_divide if rounding_mode == "floor" else _trunc_divide, ad, bd)
    return _finish(_DIV_MODE, out, dt, a, b, (rounding_mode, ad.shape, bd.shape))


Tensor.remainder = remainder
Tensor.__mod__ = remainder
Tensor.__rmod__ = lambda self, other: remainder(other, self)
Tensor.floor_divide = floor_divide
Tensor.__floordiv__ = floor_divide
Tensor.__rfloordiv__ = lambda self, other: floor_divide(other, self)
Tensor.div = Tensor.divide = div


def _inplace(fn):
    def method(self, other):
        return self._inplace(fn, other)

    return method


Tensor.remainder_ = Tensor.__imod__ = _inplace(remainder)
Tensor.floor_divide_ = Tensor.__ifloordiv__ = _inplace(floor_divide)


def _true_div_(self, other):
    # numpy's in-place division is the no-grad fast path of optimiser steps (float only: an
    # int tensor divided in place is an error _inplace reports)
    return self._inplace(Tensor.__truediv__, other,
                         np.true_divide if self._data.dtype.kind == "f" else None)


def _div_(self, other, *, rounding_mode=_UNSET):
    if rounding_mode is _UNSET:
        return _true_div_(self, other)
    return self._inplace(lambda a, b: div(a, b, rounding_mode=rounding_mode), other)


Tensor.div_ = Tensor.divide_ = _div_
Tensor.__itruediv__ = _true_div_
