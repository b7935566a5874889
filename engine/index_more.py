"""Selection and reordering ops: ``roll`` (RollBackward0), ``cumprod`` (CumprodBackward0),
``masked_select`` (MaskedSelectBackward0), and, composed of existing rows as in PyTorch,
``take_along_dim`` (a gather), ``repeat_interleave`` (expand + clone + view, or an
index_select for a tensor of repeats) and ``nonzero`` (no grad)."""

from __future__ import annotations

import builtins

import numpy as np

from ._dtype import to_numpy_dtype
from .ops import OPS
from .tensor import Tensor, _broadcast_error, _dims, _result, _wrap


# ---- roll ------------------------------------------------------------------------------------
_ROLL, _MASKED_SELECT = OPS["roll"], OPS["masked_select"]


def roll(self, shifts, dims=None):
    x = self._data
    many = isinstance(shifts, list | tuple)
    shifts = tuple(int(s) for s in shifts) if many else int(shifts)
    if dims is None:
        if many and len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               f"dims:0")
        shifts = shifts[0] if many else shifts
        out, attrs = _ROLL.fwd(x, shifts, None)
        return _result(_ROLL, out, (self,), attrs)
    if x.ndim == 0:
        d = dims if isinstance(dims, int) else tuple(dims)[0]
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    dims = _dims(dims, x.ndim)
    n_shifts = len(shifts) if many else 1
    if n_shifts != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {n_shifts}, "
                           f"dims:{len(dims)}")
    out, attrs = _ROLL.fwd(x, shifts if many else (shifts,), dims)
    return _result(_ROLL, out, (self,), attrs)


# ---- cumprod (row in engine.ops.scan) ------------------------------------------------------------
def cumprod(self, dim, dtype=None):
    x = self._data
    d = _dims(dim, x.ndim)[0]
    if dtype is not None:
        target = to_numpy_dtype(dtype)
    else:
        target = x.dtype if x.dtype.kind == "f" else np.dtype(np.int64)
    out, attrs = _CUMPROD.fwd(x, d if x.ndim else None, target)
    return _result(_CUMPROD, out, (self,), attrs, self._rg and target.kind == "f")


_CUMPROD = OPS["cumprod"]


# ---- masked_select -----------------------------------------------------------------------------
def masked_select(self, mask):
    if not isinstance(mask, Tensor):
        raise TypeError(f"masked_select(): argument 'mask' (position 1) must be Tensor, not "
                        f"{type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    x, k = self._data, mask._data
    try:
        out, attrs = _MASKED_SELECT.fwd(x, k)
    except ValueError:
        raise _broadcast_error(x.shape, k.shape) from None
    return _result(_MASKED_SELECT, out, (self,), attrs)


# ---- composed: take_along_dim, repeat_interleave, nonzero ---------------------------------------
def take_along_dim(input, indices, dim=None):
    if indices._data.dtype != np.int64:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_c_name(indices._data.dtype)}")
    if dim is None:
        return input.reshape(-1).gather(0, indices.reshape(-1))
    x, i = input._data, indices._data
    if x.ndim != i.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {x.ndim} dimensions for input, and "
                           f"{i.ndim} dimensions for indices")
    (d,) = _dims(dim, x.ndim)
    if x.ndim == 0:
        return input.gather(0, indices)
    xs, js = list(x.shape), list(i.shape)
    xs[d], js[d] = 1, 1
    common = np.broadcast_shapes(tuple(xs), tuple(js))
    xs_full, is_full = list(common), list(common)
    xs_full[d], is_full[d] = x.shape[d], i.shape[d]
    if tuple(xs_full) != x.shape:
        input = input.expand(*xs_full)
    if tuple(is_full) != i.shape:
        indices = indices.expand(*is_full)
    return input.gather(d, indices)


def _c_name(dt):
    return {"float32": "Float", "float64": "Double", "int32": "Int", "bool": "Bool",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "float16": "Half"}.get(str(dt),
                                                                                     str(dt))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # torch.repeat_interleave(repeats): the index of each repeat
        counts = input._data
        if counts.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if counts.size and counts.min() < 0:
            raise RuntimeError("repeats can not be negative")
        return _wrap(np.repeat(np.arange(counts.size, dtype=np.int64), counts.reshape(-1)))
    if dim is None:
        input, dim = input.reshape(-1), 0
    x = input._data
    (d,) = _dims(dim, x.ndim)
    if isinstance(repeats, Tensor) and repeats._data.size != 1:
        r = repeats._data.reshape(-1)
        if repeats._data.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        size = x.shape[d] if x.ndim else 1
        if r.size != size:
            raise RuntimeError("repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {r.size} and input.size({d}) = {size}")
        if r.size and r.min() < 0:
            raise RuntimeError("repeats can not be negative")
        index = _wrap(np.repeat(np.arange(size, dtype=np.int64), r))
        return input.index_select(d, index)
    n = builtins.int(repeats.item() if isinstance(repeats, Tensor) else repeats)
    if n < 0:
        raise RuntimeError("Repeats must be non-negative")
    if x.ndim == 0:
        input, x = input.reshape(1), x.reshape(1)
    shape = list(x.shape)
    wide = shape[:d + 1] + [n] + shape[d + 1:]
    out_shape = shape[:d] + [shape[d] * n] + shape[d + 1:]
    return input.unsqueeze(d + 1).expand(*wide).contiguous().view(*out_shape)


def nonzero(input, *, as_tuple=False):
    x = input._data
    if as_tuple:
        if x.ndim == 0:
            return (_wrap(np.zeros(int(x != 0), dtype=np.int64)),)
        return tuple(_wrap(i.astype(np.int64, copy=False)) for i in np.nonzero(x))
    if x.ndim == 0:
        return _wrap(np.zeros((int(x != 0), 0), dtype=np.int64))
    return _wrap(np.argwhere(x).astype(np.int64, copy=False))


def argwhere(input):
    return nonzero(input)


for _name, _fn in (("roll", roll), ("cumprod", cumprod), ("masked_select", masked_select),
                   ("take_along_dim", take_along_dim), ("repeat_interleave", repeat_interleave),
                   ("nonzero", nonzero), ("argwhere", argwhere)):
    setattr(Tensor, _name, _fn)

__all__ = ["argwhere", "cumprod", "masked_select", "nonzero", "repeat_interleave", "roll",
           "take_along_dim"]
