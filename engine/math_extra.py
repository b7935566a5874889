"""Math that lectures reach for beside the core ops: ``trace``, ``diag_embed``,
``movedim``/``moveaxis``, ``median``, ``mode``, ``var_mean`` and ``std_mean``, each one op row
with PyTorch's node name (symbolic rules in ``symbolic/rules_math_extra.py``), plus
``Tensor.equal``/``allclose``/``isclose``. (``log10``, ``log2``, ``exp2`` and ``atan2`` are
rows of ``engine.ops.elementwise``.)
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from . import functions
from .dispatch import record_outputs
from .grad_mode import mode as _mode
from .ops import OPS, register
from .return_types import return_type
from .tensor import Tensor, _dims, _result, _wrap


# ---- trace and diagonals --------------------------------------------------------------------------
def _trace_vjp(m, g, out, s, a, need):
    shape, dtype = a
    return (g * np.eye(*shape, dtype=dtype),)


register("trace", "TraceBackward0", None, _trace_vjp, doc="trace(a)")


def _trace(self):
    x = self._data
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    dt = np.int64 if x.dtype.kind in "biu" else x.dtype
    return _result(OPS["trace"], np.asarray(np.trace(x), dtype=dt), (self,),
                   (x.shape, x.dtype), self._rg)


def _diag_positions(n, offset):
    rows = np.arange(n) + builtins.max(-offset, 0)
    cols = np.arange(n) + builtins.max(offset, 0)
    return rows, cols


def _diag_embed_vjp(m, g, out, s, a, need):
    n, offset, d1, d2 = a
    rows, cols = _diag_positions(n, offset)
    if isinstance(g, np.ndarray):
        return (np.moveaxis(g, (d1, d2), (-2, -1))[..., rows, cols],)
    return (g.movedim((d1, d2), (-2, -1))[..., rows, cols],)


register("diag_embed", "DiagEmbedBackward0", None, _diag_embed_vjp, doc="diag_embed(a)")


def _diag_embed(self, offset=0, dim1=-2, dim2=-1):
    x = self._data
    n = x.shape[-1] if x.ndim else 1
    size = n + abs(offset)
    ndim = x.ndim + 1
    d1, d2 = _dims(dim1, ndim)[0], _dims(dim2, ndim)[0]
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    out = np.zeros(x.shape[:-1] + (size, size), dtype=x.dtype)
    rows, cols = _diag_positions(n, offset)
    out[..., rows, cols] = x
    out = np.moveaxis(out, (-2, -1), (d1, d2))
    return _result(OPS["diag_embed"], np.ascontiguousarray(out), (self,), (n, offset, d1, d2),
                   self._rg)


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


# ---- median, mode -----------------------------------------------------------------------------------
_MEDIAN, _MODE = return_type("median"), return_type("mode")


def _evenly_vjp(m, g, out, s, a, need):
    mask, count = a  # the gradient is shared by every element equal to the result
    return (g * mask / count,)


register("median", "MedianBackward0", None, _evenly_vjp, doc="median(a)")
register("median_dim", "MedianBackward1", None, OPS["max_dim"].vjp, doc="median(a, dim)")
register("mode", "ModeBackward0", None, OPS["max_dim"].vjp, doc="mode(a, dim)")


def _median(self, dim=None, keepdim=False):
    x = self._data
    if dim is None:
        if x.size == 0:
            return _wrap(np.asarray(np.nan, dtype=x.dtype))
        flat = np.sort(x.reshape(-1), kind="stable")
        value = flat[(flat.size - 1) // 2]
        mask = (x == value).astype(x.dtype)
        return _result(OPS["median"], np.asarray(value, dtype=x.dtype), (self,),
                       (mask, builtins.int(mask.sum()) or 1), self._rg)
    (d,) = _dims(dim, x.ndim)
    if x.ndim == 0:
        return _MEDIAN(self.clone(), _wrap(np.asarray(0)))
    order = np.argsort(x, axis=d, kind="stable")
    k = (x.shape[d] - 1) // 2
    idx = np.take(order, [k], axis=d)
    return _select(self, "median_dim", _MEDIAN, d, idx, keepdim)


def _select(self, key, kind, d, idx, keepdim):
    x = self._data
    vals = np.take_along_axis(x, idx, axis=d)
    if not keepdim:
        vals = vals.squeeze(d)
    indices = _wrap(np.asarray(idx if keepdim else idx.squeeze(d), dtype=np.int64))
    values = _result(OPS[key], np.asarray(vals), (self,), (x.shape, d, keepdim, idx), self._rg)
    return kind(values, indices)


def _mode_values(self, dim=-1, keepdim=False):
    x = self._data
    if x.ndim == 0:
        return _MODE(self.clone(), _wrap(np.asarray(0)))
    (d,) = _dims(dim, x.ndim)
    moved = np.moveaxis(x, d, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    best = np.empty(rows.shape[0], dtype=np.int64)
    for i, row in enumerate(rows):
        values, counts = np.unique(row, return_counts=True)
        value = values[np.argmax(counts)]  # the smallest of the most frequent
        best[i] = np.flatnonzero(row == value)[-1]  # its last position, as ATen reports it
    idx = np.expand_dims(best.reshape(moved.shape[:-1]), d)
    return _select(self, "mode", _MODE, d, idx, keepdim)


# ---- var_mean, std_mean: one node with two outputs ------------------------------------------------
def _moments_vjp(m, grads, out, s, a, need):
    key, shape, dims, correction, keepdim = a
    x = s[0]
    g_first, g_mean = grads
    n = _count(shape, dims)
    total = None
    if g_first is not None:
        g = g_first if dims is None or keepdim else m.unsqueeze_dims(g_first, dims)
        centred = x - m.mean(x, dims, True)
        scale = 1.0 / (n - correction) if n > correction else math.inf
        if key == "var_mean":
            total = g * centred * (2.0 * scale)
        else:
            std = (m.sum(centred * centred, dims, True) * scale) ** 0.5
            total = g * centred * scale / std
    if g_mean is not None:
        g = g_mean if dims is None or keepdim else m.unsqueeze_dims(g_mean, dims)
        part = m.expand(g / n, shape)
        total = part if total is None else total + part
    return (total,)


def _count(shape, dims):
    if dims is None:
        return builtins.int(np.prod(shape, dtype=np.int64))
    return builtins.int(np.prod([shape[d] for d in dims], dtype=np.int64))


register("var_mean", "VarMeanBackward0", None, _moments_vjp, save_inputs=True,
         doc="var_mean(a)")
register("std_mean", "StdMeanBackward0", None, _moments_vjp, save_inputs=True,
         doc="std_mean(a)")


def _moments(key, x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    x = functions._t(x)
    first = "var" if key == "var_mean" else "std"
    data = x._data
    if correction is None:
        correction = 1 if unbiased in (None, True) else 0
    if isinstance(dim, builtins.bool):
        correction, dim = builtins.int(dim), None
    dims = _dims(dim, data.ndim)
    from .grad_mode import no_grad

    every = tuple(range(data.ndim))
    with no_grad():
        spread = getattr(x, first)(dims, keepdim=keepdim, correction=correction)
        mean = x.mean(every if dims is None else dims, keepdim=keepdim)
    if x._rg and _mode.enabled:
        _two_output_node(OPS[key], x, (spread, mean), (key, data.shape, dims, correction, keepdim))
    return spread, mean


def _two_output_node(op, x, outs, attrs):
    """One node for both outputs, saving the input (PyTorch's VarMeanBackward0 shape)."""
    record_outputs(op, x, outs, attrs, save_input=True)


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
