"""The Tensor's reductions: ``sum``, ``mean``, ``max``/``min`` (with and without a dim),
``amax``/``amin``, ``argmax``/``argmin``, ``prod``, ``var``/``std``, ``all``/``any`` and
``norm``; bound onto ``Tensor`` on ``import engine``."""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from . import _dtype
from .dispatch import _MEAN, call, record
from .grad_mode import mode as _mode
from .ops import OPS
from .ops.reduce import mean_fwd as _mean_fwd
from .ops.reduce import sum_fwd as _sum_fwd
from .return_types import return_type
from .saved_outputs import values_indices
from .tensor import Tensor, _dims, _rdims, _result, _wrap, bind_methods


class _Reductions:
    def sum(self, dim=None, keepdim=False, dtype=None):
        x = self._data
        dims = _rdims(dim, x.ndim)
        out, attrs = _sum_fwd(x, dims, keepdim,
                              None if dtype is None else _dtype.to_numpy_dtype(dtype))
        t = _wrap(out if type(out) is np.ndarray else np.asarray(out))
        if self._rg and _mode.enabled:
            record(_SUM if dims is None else _SUM_DIM, t, (self,), attrs)
        return t

    def mean(self, dim=None, keepdim=False, dtype=None):
        x = self._data
        if dim is None and not keepdim and dtype is None and x.dtype.kind == "f":
            # the loss case, kept short
            out, attrs = _mean_fwd(x, None, False)
            t = _wrap(out)
            if self._rg and _mode.enabled:
                record(_MEAN, t, (self,), attrs)
            return t
        if x.dtype.kind != "f":
            if dtype is None:
                raise RuntimeError(
                    "mean(): could not infer output dtype. Input dtype must be either a floating "
                    f"point or complex dtype. Got: {self.dtype.tensor_type[:-6]}")
            x = x.astype(_dtype.to_numpy_dtype(dtype))
        dims = _rdims(dim, x.ndim)
        out, attrs = _mean_fwd(x, dims, keepdim)
        return _result(_MEAN if dims is None else _MEAN_DIM, out, (self,), attrs, self._rg)

    def _extreme(self, kind, dim, keepdim):
        x = self._data
        if x.size == 0 and dim is None:
            raise RuntimeError(f"{kind}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        if dim is None:
            return call(OPS[kind + "_all"], (self,))
        (d,) = _dims(dim, x.ndim)
        if x.ndim and x.shape[d] == 0:
            raise IndexError(f"{kind}(): Expected reduction dim {d} to have non-zero size.")
        op = OPS[kind + "_dim"]
        (vals, idx), attrs = op.fwd(x, d, keepdim)
        return values_indices(return_type(kind), _result(op, vals, (self,), attrs, self._rg),
                              _wrap(idx))

    def max(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return self._extreme("max", dim, keepdim)

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return self._extreme("min", dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return self._amax("amax", dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return self._amax("amin", dim, keepdim)

    def _amax(self, key, dim, keepdim):
        x = self._data
        dims = tuple(range(x.ndim)) if dim in ((), None) else _rdims(dim, x.ndim)
        for d in dims:
            if x.shape[d] == 0:
                raise IndexError(f"{key}(): Expected reduction dim {d} to have non-zero size.")
        op = OPS[key]
        out, attrs = op.fwd(x, dims, keepdim)
        return _result(op, out, (self,), attrs, self._rg)

    def argmax(self, dim=None, keepdim=False):
        return self._arg_extreme("argmax", np.argmax, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return self._arg_extreme("argmin", np.argmin, dim, keepdim)

    def _arg_extreme(self, key, find, dim, keepdim):
        x = self._data
        if x.dtype.kind == "b":
            raise RuntimeError(f"{key}(): does not support bool input")
        if dim is None:
            if not x.size:
                raise IndexError(f"{key}(): Expected reduction dim to be specified for "
                                 f"input.numel() == 0.")
            return _wrap(np.asarray(find(x), dtype=np.int64))
        axes = _rdims(dim, x.ndim)  # checks dim on a 0-d tensor too
        if x.ndim and not x.shape[axes[0]]:
            raise IndexError(f"{key}(): Expected reduction dim {axes[0]} to have non-zero size.")
        return _wrap(np.asarray(find(x, axis=axes[0] if x.ndim else None, keepdims=keepdim),
                                dtype=np.int64))

    def prod(self, dim=None, keepdim=False, dtype=None):
        dims = _rdims(dim, self._data.ndim)
        return call(OPS["prod" if dims is None else "prod_dim"], (self,), dims, keepdim)

    def _moment(self, key, dim, unbiased, keepdim, correction):
        x = self._data
        if x.dtype.kind != "f":
            raise RuntimeError("std and var only support floating point and complex dtypes")
        if correction is None:
            correction = 1 if unbiased in (None, True) else 0
        if isinstance(dim, builtins.bool):  # var(False) means unbiased=False
            correction, dim = builtins.int(dim), None
        dims = _rdims(dim, x.ndim)
        n = x.size if dims is None else builtins.int(np.prod([x.shape[d] for d in dims]))
        if n <= correction:
            warnings.warn(f"{key}(): degrees of freedom is <= 0. Correction should be strictly "
                          "less than the reduction factor (input numel divided by output numel).",
                          UserWarning, stacklevel=3)
        return call(OPS[key], (self,), dims, correction, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return self._moment("var", dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return self._moment("std", dim, unbiased, keepdim, correction)

    def all(self, dim=None, keepdim=False):
        return _wrap(np.asarray(np.all(self._data, axis=_rdims(dim, self._data.ndim),
                                       keepdims=keepdim)))

    def any(self, dim=None, keepdim=False):
        return _wrap(np.asarray(np.any(self._data, axis=_rdims(dim, self._data.ndim),
                                       keepdims=keepdim)))

    def norm(self, p="fro", dim=None, keepdim=False):
        if self._data.dtype.kind != "f":
            raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor "
                               f"as input. Got {self.dtype.tensor_type[:-6]}")
        dims = None if dim is None else _rdims(dim, self._data.ndim)
        if p in (2, "fro"):
            return call(OPS["norm"], (self,), dims, keepdim)
        if isinstance(p, builtins.int | builtins.float) and p != 0 and np.isfinite(p):
            return call(OPS["norm_p"], (self,), dims, keepdim, p)
        if p in (np.inf, -np.inf):  # the largest / smallest magnitude
            a = self.abs()
            full = tuple(range(a.dim())) if dim is None else dim
            return a.amax(full, keepdim) if p > 0 else a.amin(full, keepdim)
        return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)


_SUM, _SUM_DIM, _MEAN_DIM = OPS["sum"], OPS["sum_dim"], OPS["mean_dim"]
bind_methods(Tensor, _Reductions)
