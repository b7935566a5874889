"""Integer-style division: ``%`` / ``remainder``, ``//`` / ``floor_divide`` and
``div(rounding_mode=...)``, with PyTorch's dtypes (the promoted dtype of the operands, so
``int32 % 3`` stays int32 and ``float32 % int32`` float32), its integer division-by-zero error
and its autograd: ``remainder`` records ``RemainderBackward0/1``, ``div`` with a rounding mode
``DivBackward2`` (a zero grad when rounding), and ``floor_divide`` (or a number ``%`` a tensor) a
``NotImplemented`` node whose backward raises, as PyTorch's does. The rows, with the forwards,
are in ``engine.ops.arith``; this module checks the arguments and promotes the operands."""

from __future__ import annotations

import numpy as np

from . import _dtype, promotion
from .grad_mode import mode as _mode
from .ops import OPS
from .tensor import Tensor, _broadcast_error, _operand, _wrap, as_array, record

_UNSET = object()  # div()'s rounding_mode not given (DivBackward0) vs given as None (DivBackward2)


_REMAINDER, _REMAINDER_TT = OPS["remainder"], OPS["remainder_tt"]
_DIV_MODE, _NOT_IMPLEMENTED = OPS["div_mode"], OPS["not_implemented"]


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


def _finish(op, out, a, b, attrs):
    t = _wrap(out)
    if _mode.enabled and any(isinstance(v, Tensor) and v._rg for v in (a, b)):
        record(op, t, (a, b), attrs)
    return t


def remainder(input, other):
    """``torch.remainder``: Python's ``%`` (the result takes the divisor's sign)."""
    a, b, ad, bd, dt = _operands(input, other, "remainder")
    _check_int(ad, bd, dt, "remainder_cpu")
    if not isinstance(a, Tensor):
        out, attrs = _NOT_IMPLEMENTED.fwd(ad, bd, "remainder")
        return _finish(_NOT_IMPLEMENTED, out, b, a, attrs)
    op = _REMAINDER_TT if isinstance(b, Tensor) else _REMAINDER
    out, attrs = op.fwd(ad, bd)
    return _finish(op, out, a, b, attrs)


def floor_divide(input, other):
    """``torch.floor_divide`` (``//``): rounds toward -inf; not differentiable."""
    a, b, ad, bd, dt = _operands(input, other, "floor_divide")
    _check_int(ad, bd, dt, "div_floor_cpu")
    out, attrs = _NOT_IMPLEMENTED.fwd(ad, bd, "floor_divide")
    first, second = (a, b) if isinstance(a, Tensor) else (b, a)
    return _finish(_NOT_IMPLEMENTED, out, first, second, attrs)


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
    else:
        _check_int(ad, bd, dt, f"div_{rounding_mode}_cpu")
    out, attrs = _DIV_MODE.fwd(ad, bd, rounding_mode)
    return _finish(_DIV_MODE, out, a, b, attrs)


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
