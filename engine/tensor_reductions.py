"""The Tensor's reductions: ``sum``, ``mean``, ``max``/``min`` (with and without a dim),
``amax``/``amin``, ``argmax``/``argmin``, ``prod``, ``var``/``std``, ``all``/``any`` and
``norm``; bound onto ``Tensor`` on ``import engine``."""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from . import _dtype
from .dispatch import _MEAN, record
from .grad_mode import mode as _mode
from .ops import OPS
from .return_types import return_type
from .tensor import Tensor, _dims, _rdims, _result, _wrap, bind_methods


class _Reductions:
    def sum(self, dim=None, keepdim=False, dtype=None):
        x = self._data
        if x.dtype.kind in "bui" and dtype is None:
            x = x.astype(np.int64)
        elif dtype is not None:
            x = x.astype(_dtype.to_numpy_dtype(dtype))
        dims = _rdims(dim, x.ndim)
        out = np.asarray(x.sum(axis=dims, keepdims=keepdim))
        key = "sum" if dims is None else "sum_dim"
        return _result(OPS[key], out, (self,), (x.shape, dims if dims is None or x.ndim else None,
                                                 keepdim), self._rg)

    def mean(self, dim=None, keepdim=False, dtype=None):
        x = self._data
        if dim is None and not keepdim and dtype is None and x.dtype.kind == "f" and x.size:
            # the loss case, kept short: sum * (1/n) as PyTorch's MeanOps does
            t = _wrap(np.asarray(np.add.reduce(x, axis=None) * (1.0 / x.size)))
            if self._rg and _mode.enabled:
                record(_MEAN, t, (self,), (x.shape, None, False))
            return t
        if x.dtype.kind != "f":
            if dtype is None:
                raise RuntimeError(
                    "mean(): could not infer output dtype. Input dtype must be either a floating "
                    f"point or complex dtype. Got: {self.dtype.tensor_type[:-6]}")
            x = x.astype(_dtype.to_numpy_dtype(dtype))
        dims = _rdims(dim, x.ndim)
        n = x.size if dims is None else builtins.int(np.prod([x.shape[d] for d in dims]))
        # sum * (1/n) rather than np.mean: same pairwise float32 sum, far less Python overhead
        out = np.asarray(np.add.reduce(x, axis=dims, keepdims=keepdim) * (1.0 / n) if n else
                         np.full(np.add.reduce(x, axis=dims, keepdims=keepdim).shape, np.nan),
                         dtype=x.dtype)
        key = "mean" if dims is None else "mean_dim"
        return _result(OPS[key], out, (self,), (x.shape, dims if x.ndim else None, keepdim),
                       self._rg)

    def _extreme(self, kind, dim, keepdim):
        x = self._data
        if x.size == 0 and dim is None:
            raise RuntimeError(f"{kind}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        if dim is None:
            out = np.asarray(x.max() if kind == "max" else x.min())
            return _result(OPS[kind + "_all"], out, (self,), None, self._rg)
        (d,) = _dims(dim, x.ndim)
        if x.ndim and x.shape[d] == 0:
            raise IndexError(f"{kind}(): Expected reduction dim {d} to have non-zero size.")
        if x.ndim == 0:  # the element itself, as MaxBackward0/MinBackward0
            values = _result(OPS[kind + "_dim"], x.copy(), (self,), ((), None, keepdim, None),
                             self._rg)
            return return_type(kind)(values, _wrap(np.asarray(0)))
        idx = (np.argmax if kind == "max" else np.argmin)(x, axis=d, keepdims=True)
        vals = np.take_along_axis(x, idx, axis=d)
        if not keepdim:
            vals = vals.squeeze(d)
        indices = _wrap(np.asarray(idx if keepdim else idx.squeeze(d)))
        values = _result(OPS[kind + "_dim"], np.asarray(vals), (self,), (x.shape, d, keepdim, idx),
                         self._rg)
        return return_type(kind)(values, indices)

    def max(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return self._extreme("max", dim, keepdim)

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return self._extreme("min", dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return self._amax("amax", np.max, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return self._amax("amin", np.min, dim, keepdim)

    def _amax(self, key, reduce, dim, keepdim):
        x = self._data
        dims = tuple(range(x.ndim)) if dim in ((), None) else _rdims(dim, x.ndim)
        for d in dims:
            if x.shape[d] == 0:
                raise IndexError(f"{key}(): Expected reduction dim {d} to have non-zero size.")
        out = np.asarray(reduce(x, axis=dims, keepdims=keepdim))
        return _result(OPS[key], out, (self,), (dims, keepdim), self._rg)

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
        x = self._data
        if x.dtype.kind in "bui":
            x = x.astype(np.int64)
        dims = _rdims(dim, x.ndim)
        out = np.asarray(x.prod(axis=dims, keepdims=keepdim))
        return _result(OPS["prod" if dims is None else "prod_dim"], out, (self,),
                       (x.shape, dims, keepdim), self._rg)

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
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.var(x, axis=dims, keepdims=keepdim) * (n / (n - correction) if n > correction
                                                          else np.nan)
        out = np.asarray(v if key == "var" else np.sqrt(v), dtype=x.dtype)
        return _result(OPS[key], out, (self,), (x.shape, dims, correction, keepdim), self._rg)

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
        if p in (2, "fro"):
            x = self._data
            dims = None if dim is None else _rdims(dim, x.ndim)
            out = np.asarray(np.sqrt(np.sum(x * x, axis=dims, keepdims=keepdim)), dtype=x.dtype)
            return _result(OPS["norm"], out, (self,), (dims, keepdim), self._rg)
        if isinstance(p, builtins.int | builtins.float) and p != 0 and np.isfinite(p):
            x = self._data
            dims = None if dim is None else _rdims(dim, x.ndim)
            a = np.abs(x)
            n = x.size if dims is None else np.prod([x.shape[d] for d in dims])
            if p == 1 or n == 1:  # one element's norm is its |x| exactly, as PyTorch's kernel
                out = np.asarray(np.sum(a, axis=dims, keepdims=keepdim), dtype=x.dtype)
            else:
                out = np.asarray(np.sum(a ** p, axis=dims, keepdims=keepdim) ** (1.0 / p),
                                 dtype=x.dtype)
            return _result(OPS["norm_p"], out, (self,), (dims, keepdim, p), self._rg)
        if p in (np.inf, -np.inf):  # the largest / smallest magnitude
            a = self.abs()
            full = tuple(range(a.dim())) if dim is None else dim
            return a.amax(full, keepdim) if p > 0 else a.amin(full, keepdim)
        return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)


bind_methods(Tensor, _Reductions)
