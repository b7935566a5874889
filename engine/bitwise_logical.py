"""Bitwise ops and shifts on integer and bool tensors (``&``, ``|``, ``^``, ``~``, ``<<``, ``>>``,
``bitwise_*``) and the logical ops (``logical_not/and/or/xor``). None of them is differentiable:
results never require grad and record no node, as in PyTorch.

Result dtypes come from the one promotion table (``_promote``); a float operand is PyTorch's
``NotImplementedError`` naming the kernel. Shifts follow ATen, not C: a shift by a negative
amount or by at least the bit width gives 0 (``<<``) or the sign fill (``>>``)."""

from __future__ import annotations

import numpy as np

from .tensor import Tensor, _broadcast_error, _operand, _promote, _wrap

_KIND_NAMES = {"f": {2: "Half", 4: "Float", 8: "Double"}, "b": {1: "Bool"}}


def _type_name(dt):
    if dt.kind in _KIND_NAMES:
        return _KIND_NAMES[dt.kind].get(dt.itemsize, "Float")
    return {np.dtype(np.uint8): "Byte", np.dtype(np.int8): "Char", np.dtype(np.int16): "Short",
            np.dtype(np.int32): "Int"}.get(dt, "Long")


def _operands(a, b, kernel, allow_bool=True):
    """Both operands as numpy arrays of the promoted dtype (one of them a Tensor)."""
    if not isinstance(a, Tensor):
        a, b, swapped = b, a, True
    else:
        swapped = False
    b = _operand(b)
    if b is NotImplemented:
        raise TypeError(f"unsupported operand type: '{type(b).__name__}'")
    dt = _promote(a, b)
    if dt.kind == "f" or dt.kind == "c" or (dt.kind == "b" and not allow_bool):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_type_name(dt)}\'')
    x = a._data.astype(dt, copy=False)
    # a Python int outside the dtype's range wraps, as C's conversion does (uint8 & -1 is & 255)
    y = b._data.astype(dt, copy=False) if isinstance(b, Tensor) else \
        np.asarray(int(b)).astype(dt)
    return (y, x) if swapped else (x, y)


def _apply(fn, a, b, kernel, allow_bool=True):
    x, y = _operands(a, b, kernel, allow_bool)
    try:
        out = fn(x, y)
    except ValueError:
        raise _broadcast_error(x.shape, y.shape) from None
    return _wrap(np.asarray(out))


def bitwise_and(input, other):
    return _apply(np.bitwise_and, input, other, "bitwise_and_cpu")


def bitwise_or(input, other):
    return _apply(np.bitwise_or, input, other, "bitwise_or_cpu")


def bitwise_xor(input, other):
    return _apply(np.bitwise_xor, input, other, "bitwise_xor_cpu")


def bitwise_not(input):
    dt = input._data.dtype
    if dt.kind not in "iub":
        raise NotImplementedError(f'"bitwise_not_cpu" not implemented for \'{_type_name(dt)}\'')
    return _wrap(np.asarray(~input._data))


def _out_of_range(x, s):
    bits = x.dtype.itemsize * 8
    return (s < 0) | (s >= bits)


def _lshift(x, s):
    bad = _out_of_range(x, s)
    with np.errstate(over="ignore"):
        out = np.left_shift(x, np.where(bad, 0, s).astype(x.dtype))
    return np.where(bad, x.dtype.type(0), out)


def _rshift(x, s):
    bad = _out_of_range(x, s)
    out = np.right_shift(x, np.where(bad, 0, s).astype(x.dtype))
    fill = np.where(x < 0, x.dtype.type(-1) if x.dtype.kind == "i" else 0, x.dtype.type(0))
    return np.where(bad, fill, out).astype(x.dtype, copy=False)


def bitwise_left_shift(input, other):
    return _apply(_lshift, input, other, "lshift_cpu", allow_bool=False)


def bitwise_right_shift(input, other):
    return _apply(_rshift, input, other, "rshift_cpu", allow_bool=False)


def _invert(self):
    if self._data.dtype.kind not in "iub":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return _wrap(np.asarray(~self._data))


# ---- logical ---------------------------------------------------------------------------------
def _truth(t):
    return t._data.astype(bool, copy=False)


def _logical(name, fn):
    def op(input, other):
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                            f"{type(other).__name__}")
        x, y = _truth(input), _truth(other)
        try:
            return _wrap(np.asarray(fn(x, y)))
        except ValueError:
            raise _broadcast_error(x.shape, y.shape) from None

    op.__name__ = name
    return op


logical_and = _logical("logical_and", np.logical_and)
logical_or = _logical("logical_or", np.logical_or)
logical_xor = _logical("logical_xor", np.logical_xor)


def logical_not(input):
    return _wrap(np.logical_not(_truth(input)))


def _reflected(fn):
    return lambda self, other: fn(other, self)


Tensor.__invert__ = _invert
Tensor.__and__, Tensor.__or__, Tensor.__xor__ = bitwise_and, bitwise_or, bitwise_xor
Tensor.__rand__, Tensor.__ror__, Tensor.__rxor__ = bitwise_and, bitwise_or, bitwise_xor
Tensor.__lshift__, Tensor.__rshift__ = bitwise_left_shift, bitwise_right_shift
Tensor.__rlshift__ = _reflected(bitwise_left_shift)
Tensor.__rrshift__ = _reflected(bitwise_right_shift)
for _name in ("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
              "bitwise_right_shift", "logical_and", "logical_or", "logical_xor", "logical_not"):
    setattr(Tensor, _name, globals()[_name])

__all__ = ["bitwise_and", "bitwise_left_shift", "bitwise_not", "bitwise_or",
           "bitwise_right_shift", "bitwise_xor", "logical_and", "logical_not", "logical_or",
           "logical_xor"]
