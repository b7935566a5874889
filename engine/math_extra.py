"""Math that lectures reach for beside the core ops: ``trace``, ``diag_embed``,
``movedim``/``moveaxis``, ``median``, ``mode``, ``var_mean`` and ``std_mean``, each one op row
with PyTorch's node name (rows in ``engine.ops.diag`` and ``engine.ops.reduce_stats``), plus
``Tensor.equal``/``allclose``/``isclose``. (``log10``, ``log2``, ``exp2`` and ``atan2`` are
rows of ``engine.ops.elementwise``.)
"""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from . import functions
from .dispatch import call, record_outputs
from .grad_mode import mode as _mode
from .ops import OPS
from .return_types import return_type
from .saved_outputs import values_indices
from .tensor import Tensor, _dims, _result, _wrap


# ---- trace and diagonals (rows in engine.ops.diag) -----------------------------------------------
def _trace(self):
    x = self._data
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    return call(OPS["trace"], (self,))


def _diag_embed(self, offset=0, dim1=-2, dim2=-1):
    ndim = self._data.ndim + 1
    d1, d2 = _dims(dim1, ndim)[0], _dims(dim2, ndim)[0]
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return call(OPS["diag_embed"], (self,), offset, d1, d2)


def _movedim(self, source, destination):
    x = self._data
    if isinstance(source, builtins.int) != isinstance(destination, builtins.int):
        kinds = tuple("int" if isinstance(v, builtins.int) else type(v).__name__
                      for v in (source, destination))
        raise TypeError(f"movedim() received an invalid combination of arguments - got "
                        f"({kinds[0]}, {kinds[1]}), but expected one of:\n"
                        " * (int source, int destination)\n"
                        " * (tuple of ints source, tuple of ints destination)\n")
    src = (source,) if isinstance(source, builtins.int) else tuple(source)
    dst = (destination,) if isinstance(destination, builtins.int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src, dst = _dims(src, x.ndim) or (), _dims(dst, x.ndim) or ()
    order = [d for d in range(x.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return self.permute(*order) if x.ndim else self.view_as(self)


# ---- median, mode, var_mean, std_mean (rows in engine.ops.reduce_stats) ------------------------
_MEDIAN, _MODE = return_type("median"), return_type("mode")


def _median(self, dim=None, keepdim=False):
    x = self._data
    if dim is None:
        if x.size == 0:
            return _wrap(np.asarray(np.nan, dtype=x.dtype))
        return call(OPS["median"], (self,))
    (d,) = _dims(dim, x.ndim)
    if x.ndim == 0:
        return _MEDIAN(self.clone(), _wrap(np.asarray(0)))
    return _select(self, "median_dim", _MEDIAN, d, keepdim)


def _select(self, key, kind, d, keepdim):
    op = OPS[key]
    (vals, idx), attrs = op.fwd(self._data, d, keepdim)
    return values_indices(kind, _result(op, vals, (self,), attrs, self._rg), _wrap(idx))


def _mode_values(self, dim=-1, keepdim=False):
    if self._data.ndim == 0:
        return _MODE(self.clone(), _wrap(np.asarray(0)))
    (d,) = _dims(dim, self._data.ndim)
    return _select(self, "mode", _MODE, d, keepdim)


def _moments(key, x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    x = functions._t(x)
    data = x._data
    if data.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if correction is None:
        correction = 1 if unbiased in (None, True) else 0
    if isinstance(dim, builtins.bool):
        correction, dim = builtins.int(dim), None
    dims = _dims(dim, data.ndim)
    n = data.size if dims is None else math.prod([data.shape[d] for d in dims])
    if n <= correction:
        first = "var" if key == "var_mean" else "std"
        warnings.warn(f"{first}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    op = OPS[key]
    (spread, mean), attrs = op.fwd(data, dims, correction, keepdim)
    outs = (_wrap(spread), _wrap(mean))
    if x._rg and _mode.enabled:
        # one node for both outputs, saving the input (PyTorch's VarMeanBackward0)
        record_outputs(op, x, outs, attrs, save_input=True)
    return outs


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _moments("var_mean", input, dim, unbiased, keepdim, correction=correction)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _moments("std_mean", input, dim, unbiased, keepdim, correction=correction)


# ---- comparisons ---------------------------------------------------------------------------------
def _check_same_dtype(a, b):
    if isinstance(b, Tensor) and a._data.dtype != b._data.dtype:
        names = {np.dtype(np.float32): "Float", np.dtype(np.float64): "Double",
                 np.dtype(np.int64): "Long", np.dtype(np.int32): "Int",
                 np.dtype(np.float16): "Half", np.dtype(np.bool_): "Bool"}
        raise RuntimeError(f"{names.get(a._data.dtype, a._data.dtype.name)} did not match "
                           f"{names.get(b._data.dtype, b._data.dtype.name)}")


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    input = functions._t(input)
    _check_same_dtype(input, other)
    return builtins.bool(np.allclose(input._data, other._data if isinstance(other, Tensor)
                                     else other, rtol, atol, equal_nan))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    input = functions._t(input)
    _check_same_dtype(input, other)
    return _wrap(np.asarray(np.isclose(input._data, other._data if isinstance(other, Tensor)
                                       else other, rtol, atol, equal_nan)))


def equal(input, other):
    a, b = functions._t(input)._data, functions._t(other)._data
    return builtins.bool(a.shape == b.shape and np.array_equal(a, b))


def _fn(method):
    def call(input, *args, **kwargs):
        return method(functions._t(input), *args, **kwargs)

    call.__name__ = method.__name__.lstrip("_")
    return call


Tensor.trace, Tensor.diag_embed = _trace, _diag_embed
Tensor.movedim = Tensor.moveaxis = _movedim
Tensor.median, Tensor.mode = _median, _mode_values
Tensor.allclose, Tensor.isclose, Tensor.equal = allclose, isclose, equal

trace, diag_embed, movedim, moveaxis = _fn(_trace), _fn(_diag_embed), _fn(_movedim), _fn(_movedim)
median, mode = _fn(_median), _fn(_mode_values)

__all__ = ["allclose", "diag_embed", "equal", "isclose", "median", "mode", "moveaxis", "movedim",
           "std_mean", "trace", "var_mean"]
