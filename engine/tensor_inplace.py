"""Writes into a tensor: item assignment and the in-place methods, bound onto ``Tensor``. Each
write bumps the version counter and, when autograd tracks it, rebases the tensor's history
(``engine.views`` does the bookkeeping for views and their bases). ``div_`` is bound by
``engine.division``, ``uniform_``/``normal_`` by ``engine.sampling``."""

from __future__ import annotations

import builtins

import numpy as np

from . import _dtype, alpha_ops, arith_args, dispatch, inplace_saved, views
from .alpha_ops import _ONE
from .arith_args import MISSING
from .dispatch import _broadcast_error, _check_bool_sub, _operand, record
from .grad_mode import mode as _mode
from .ops import OPS
from .tensor import _CPP_NAMES, LEAF_INPLACE_ERROR, _check_bool_clamp, _clamp_promoted
from .tensor_index import _convert_index
from .tensor_data import Tensor, _wrap, bind_methods

_SETITEM = OPS["setitem"]


class _InplaceMethods:
    def __setitem__(self, idx, value):
        idx = _convert_index(idx)
        v = value if isinstance(value, Tensor) else _wrap(np.asarray(value, dtype=self._data.dtype))
        track = _mode.enabled and (self._rg or v._rg)
        if self._view is not None:
            views.check_inplace(self, track)
        if track and self.grad_fn is None and self._rg:
            raise RuntimeError(LEAF_INPLACE_ERROR)
        if not track:
            self._data[idx] = v._data
            self._vc[0] += 1
            return
        pre = views.before_write(self)
        old = self._snapshot()
        new, attrs = _SETITEM.fwd(old._data, v._data, idx)
        self._data[...] = new
        self._vc[0] += 1
        record(_SETITEM, self, (old, v), attrs)
        if self._view is not None or self._views or self._retains:
            views.after_inplace(self, old.grad_fn, old._out_nr, (old, v), pre)

    def _snapshot(self):
        """A stand-in for this tensor's value and history before an in-place change."""
        old = _wrap(self._data.copy(), self._rg)
        old.grad_fn = self.grad_fn
        old._out_nr = self._out_nr
        old._acc = self._acc
        return old

    # ---- in-place ------------------------------------------------------------------------------
    def _inplace(self, fn, other=None, ufunc=None):
        track = _mode.enabled and (self._rg or (isinstance(other, Tensor) and other._rg))
        if self._view is not None:
            views.check_inplace(self, track, fn)
        if ufunc is not None and not track:
            # optimiser steps under no_grad land here: numpy in place, no temporaries
            x = self._data
            o = other._data if isinstance(other, Tensor) else other
            if (o.dtype is x.dtype if type(o) is np.ndarray else
                    (type(o) is builtins.float and x.dtype.kind == "f")) or np.can_cast(
                    np.result_type(x, o), x.dtype, "same_kind"):
                try:
                    ufunc(x, o, out=x)
                except ValueError:
                    try:
                        shape = list(np.broadcast_shapes(x.shape, np.shape(o)))
                    except ValueError:
                        raise _broadcast_error(x.shape, np.shape(o)) from None
                    raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the "
                                       f"broadcast shape {shape}") from None
                self._vc[0] += 1
                return self
        if track and self.grad_fn is None and self._rg:
            raise RuntimeError(LEAF_INPLACE_ERROR)
        pre = views.before_write(self) if track else None
        src = self._snapshot() if track else self.detach()
        if track and dispatch._pack_saved is not None:  # saved-tensor hooks are active
            res = inplace_saved.run_packed(fn, src, other)
        else:
            res = fn(src) if other is None else fn(src, other)
        r = res._data
        if r.shape != self._data.shape:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                               f"broadcast shape {list(r.shape)}")
        if r.dtype != self._data.dtype and not np.can_cast(r.dtype, self._data.dtype, "same_kind"):
            raise RuntimeError(f"result type {_dtype._BY_NP[r.dtype].tensor_type[:-6]} can't be "
                               f"cast to the desired output type "
                               f"{self.dtype.tensor_type[:-6]}")
        self._data[...] = r
        self._vc[0] += 1
        if track and res.grad_fn is not None:
            node = res.grad_fn
            self.grad_fn = node
            self._rg = True
            self._out_nr = 0
            if node._out is not None:
                node._out = (self._data, self._vc, self._vc[0])
            if self._view is not None or self._views or self._retains:
                views.after_inplace(self, src.grad_fn, src._out_nr,
                                          (src, other) if other is not None else (src,), pre)
            if node._versions is not None:
                inplace_saved.clone_saved_input(node, src)
        return self

    # The operators take exactly one operand from Python; the methods may also be called with a
    # surplus positional argument or none, which engine.arith_args words as PyTorch does (or takes
    # as the deprecated ``add_(alpha, other)``).
    def __iadd__(self, other):
        return self._inplace(Tensor.__add__, other, np.add)

    def add_(self, other=MISSING, *extra, alpha=_ONE):
        if extra or other is MISSING:
            other, alpha = arith_args.parse("add", "inplace", (other,), extra, {"alpha": alpha})
        if alpha is not _ONE:
            return alpha_ops.add_(self, other, alpha)
        return self._inplace(Tensor.__add__, other, np.add)

    def __isub__(self, other):
        if (self._data.dtype.kind == "b" or type(other) is builtins.bool
                or (isinstance(other, Tensor) and other._data.dtype.kind == "b")):
            _check_inplace_bool_sub(self, other)
        return self._inplace(Tensor.__sub__, other, np.subtract)

    def sub_(self, other=MISSING, *extra, alpha=_ONE):
        if extra or other is MISSING:
            other, alpha = arith_args.parse("sub", "inplace", (other,), extra, {"alpha": alpha})
        if (self._data.dtype.kind == "b" or type(other) is builtins.bool
                or (isinstance(other, Tensor) and other._data.dtype.kind == "b")):
            _check_inplace_bool_sub(self, other)
        if alpha is not _ONE:
            return alpha_ops.sub_(self, other, alpha)
        return self._inplace(Tensor.__sub__, other, np.subtract)

    def subtract_(self, other=MISSING, *extra, alpha=_ONE):
        if extra or other is MISSING:  # its second overload takes (other, alpha) by position
            other, alpha = arith_args.parse("subtract", "inplace", (other,), extra,
                                            {"alpha": alpha})
        return self.sub_(other, alpha=alpha)

    def __imul__(self, other):
        return self._inplace(Tensor.__mul__, other, np.multiply)

    def mul_(self, other=MISSING, *extra):
        if extra or other is MISSING:
            arith_args.parse("mul", "inplace", (other,), extra)
        return self._inplace(Tensor.__mul__, other, np.multiply)

    def multiply_(self, other=MISSING, *extra):
        if extra or other is MISSING:
            other, _ = arith_args.parse("multiply", "inplace", (other,), extra)
        return self._inplace(Tensor.__mul__, other, np.multiply)

    def pow_(self, other):
        return self._inplace(Tensor.__pow__, other)

    def clamp_(self, min=None, max=None):
        x = self._data
        if x.dtype.kind != "f" and not isinstance(min, Tensor) and not isinstance(max, Tensor):
            _check_bool_clamp(x, min, max)
            wide = _clamp_promoted(x, min, max).dtype
            if wide != x.dtype:  # the scalar kernel names C++ types, unlike the tensor ops
                raise RuntimeError(f"result type {_dtype._BY_NP[wide].tensor_type[:-6]} can't be "
                                   f"cast to the desired output type {_CPP_NAMES[x.dtype.str[1:]]}")
        grad_bound = next((b for b in (min, max) if isinstance(b, Tensor) and b._rg), None)
        if grad_bound is not None:  # recorded even where self does not require grad
            return self._inplace(lambda a, _: a.clamp(min, max), grad_bound)
        return self._inplace(lambda a: a.clamp(min, max))

    clip_ = clamp_

    def neg_(self):
        return self._inplace(Tensor.__neg__)

    def exp_(self):
        return self._inplace(Tensor.exp)

    def relu_(self):
        return self._inplace(Tensor.relu)

    def sigmoid_(self):
        return self._inplace(Tensor.sigmoid)

    def tanh_(self):
        return self._inplace(Tensor.tanh)

    def sqrt_(self):
        return self._inplace(Tensor.sqrt)

    def _fill_random(self, values):
        if _mode.enabled and self._rg and self.grad_fn is None:
            raise RuntimeError(LEAF_INPLACE_ERROR)
        self._data[...] = values
        self._vc[0] += 1
        return self

    __ipow__ = pow_


def _check_inplace_bool_sub(t, other):
    if _mode.enabled and t._rg and t.grad_fn is None:
        raise RuntimeError(LEAF_INPLACE_ERROR)  # PyTorch checks the leaf first
    _check_bool_sub(t, _operand(other))


bind_methods(Tensor, _InplaceMethods)
for _name in ("add_", "sub_", "subtract_", "mul_", "multiply_"):
    getattr(Tensor, _name).__qualname__ = _name  # Python's own binding errors name it as PyTorch
del _InplaceMethods
