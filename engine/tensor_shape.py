"""The Tensor's shape methods: views and reshapes (``view``, ``reshape``, ``flatten``,
``squeeze``/``unsqueeze``, ``t``/``T``/``mT``, ``transpose``, ``permute``, ``expand``) and the
splits (``chunk``, ``split``, ``unbind``, ``select``, ``narrow``); bound onto ``Tensor`` on
``import engine``."""

from __future__ import annotations

import builtins
import math

from . import _dtype, views
from .dispatch import record_outputs
from .grad_mode import mode as _mode
from .ops import OPS
from .tensor import (
    Tensor,
    _dim_of_dimensioned,
    _dims,
    _result,
    _shape_arg,
    _wrap,
    bind_methods,
)
from .warn_once import warn_once

_T, _TRANSPOSE, _PERMUTE, _EXPAND = OPS["t"], OPS["transpose"], OPS["permute"], OPS["expand"]
_make_view = views.make_view


def _resolve_view_shape(shape, numel):
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of "
                               f"size {numel}")
        shape[shape.index(-1)] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size "
                           f"{numel}")
    return tuple(shape)


def _viewable(arr, shape):
    """Whether numpy can reshape ``arr`` to ``shape`` without copying (PyTorch's view rule)."""
    if arr.flags.c_contiguous or arr.size <= 1:
        return True
    try:
        v = arr.view()
        v.shape = shape  # raises instead of copying
        return True
    except AttributeError:
        return False


class _ShapeMethods:
    def _reshaped(self, key, new_shape):
        op = OPS[key]
        out, attrs = op.fwd(self._data, new_shape)
        return _make_view(_result(op, out, (self,), attrs, self._rg), self)

    def view(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
            return _wrap(self._data.view(shape[0].np))
        new_shape = _resolve_view_shape(_shape_arg(shape), self._data.size)
        if not _viewable(self._data, new_shape):
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
        return self._reshaped("view", new_shape)

    def reshape(self, *shape):
        new_shape = _resolve_view_shape(_shape_arg(shape), self._data.size)
        if _viewable(self._data, new_shape):
            return self._reshaped("view", new_shape)
        # PyTorch copies (CloneBackward0) then reshapes the copy (UnsafeViewBackward0)
        copy = self.clone()
        op = OPS["unsafe_view"]
        out, attrs = op.fwd(copy._data, new_shape)
        return _result(op, out, (copy,), attrs, copy._rg)

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        s = self._data.shape
        if not s:
            return self.reshape(1)
        a, b = start_dim % len(s), end_dim % len(s)
        if a == b:
            return self
        return self.reshape(*s[:a], -1, *s[b + 1:])

    def squeeze(self, dim=None):
        s = self._data.shape
        if dim is None:
            return self._reshaped("squeeze", tuple(n for n in s if n != 1))
        dims = _dims(dim, len(s))
        return self._reshaped("squeeze_dim" if isinstance(dim, builtins.int) else "squeeze_dims",
                              tuple(n for i, n in enumerate(s) if not (i in dims and n == 1)))

    def unsqueeze(self, dim):
        s = list(self._data.shape)
        n = len(s) + 1
        if not -n <= dim < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                             f"but got {dim})")
        s.insert(dim % n, 1)
        return self._reshaped("unsqueeze", tuple(s))

    def t(self):
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self._data.ndim}D")
        out, axes = _T.fwd(self._data)
        return _make_view(_result(_T, out, (self,), axes, self._rg), self)

    @property
    def T(self):
        if self._data.ndim == 0:
            warn_once("T_0d", "Tensor.T is deprecated on 0-D tensors. This function is the "
                      "identity in these cases.")
        elif self._data.ndim != 2:
            warn_once("T_nd", "The use of `x.T` on tensors of dimension other than 2 to reverse "
                      "their shape is deprecated and it will throw an error in a future "
                      "release. Consider `x.mT` to transpose batches of matrices or "
                      "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions "
                      "of a tensor.")
        out, axes = _PERMUTE.fwd(self._data, tuple(reversed(range(self._data.ndim))))
        return _make_view(_result(_PERMUTE, out, (self,), axes, self._rg), self)

    @property
    def mT(self):
        if self._data.ndim == 0:
            warn_once("mT_0d", "Tensor.mT is deprecated on 0-D tensors. This function is the "
                      "identity in these cases.")
            return self
        if self._data.ndim == 1:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                               "Got 1-D tensor.")
        return self.transpose(-2, -1)

    def transpose(self, dim0, dim1):
        d0, d1 = _dims((dim0, dim1), self._data.ndim)
        out, axes = _TRANSPOSE.fwd(self._data, d0, d1)
        return _make_view(_result(_TRANSPOSE, out, (self,), axes, self._rg), self)

    swapaxes = transpose

    def permute(self, *dims):
        if not dims:
            raise TypeError('permute() missing 1 required positional arguments: "dims"')
        dims = _shape_arg(dims)
        nd = self._data.ndim
        if len(dims) != nd:  # PyTorch 2.13's wording, "sparse_coo" included
            raise RuntimeError("permute(sparse_coo): number of dimensions in the tensor input does "
                               "not match the length of the desired ordering of dimensions i.e. "
                               f"input.dim() = {nd} is not equal to len(dims) = {len(dims)}")
        dims = _dims(dims, nd)
        if len(set(dims)) != nd:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        out, dims = _PERMUTE.fwd(self._data, dims)
        return _make_view(_result(_PERMUTE, out, (self,), dims, self._rg), self)

    def expand(self, *shape):
        shape = _shape_arg(shape)
        s = self._data.shape
        full = tuple(s[i - (len(shape) - len(s))] if n == -1 else n for i, n in enumerate(shape))
        try:
            out, attrs = _EXPAND.fwd(self._data, full)
        except ValueError:
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[-1]}) must match the existing size "
                f"({s[-1] if s else 1}) at non-singleton dimension {len(shape) - 1}.  Target "
                f"sizes: {list(shape)}.  Tensor sizes: {list(s)}") from None
        return _make_view(_result(_EXPAND, out, (self,), attrs, self._rg), self)

    def expand_as(self, other):
        return self.expand(other.shape)

    def chunk(self, chunks, dim=0):
        if self._data.ndim == 0:
            raise RuntimeError("chunk expects at least a 1-dimensional tensor")
        n = self._data.shape[_dims(dim, self._data.ndim)[0]]
        step = -(-n // chunks)
        return self.split(step, dim)

    def split(self, split_size, dim=0):
        x = self._data
        if x.ndim == 0:
            raise RuntimeError("split expects at least a 1-dimensional tensor")
        d = _dims(dim, x.ndim)[0]
        n = x.shape[d]
        if isinstance(split_size, builtins.int):
            sizes = [split_size] * (n // split_size) + ([n % split_size] if n % split_size else [])
            key = "split"
        else:
            sizes = list(split_size)
            if builtins.sum(sizes) != n:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                                   f"(input tensor's size at dimension {d}), but got "
                                   f"split_sizes={sizes}")
            key = "split_sizes"
        return self._multi_output(key, x, d, sizes)

    def unbind(self, dim=0):
        x = self._data
        d = _dim_of_dimensioned(dim, x.ndim)
        return self._multi_output("unbind", x, d)

    def _multi_output(self, key, x, *params):
        """One node with several outputs (SplitBackward0, UnbindBackward0), as in PyTorch: row
        ``key``'s forward on ``x`` and ``params``."""
        op = OPS[key]
        parts, attrs = op.fwd(x, *params)
        name = op.name[:-9]  # Unbind, Split, SplitWithSizes
        # unsafe_split's outputs share memory but PyTorch does not track them as views
        outs = tuple(_wrap(p) if name == "UnsafeSplit" else
                     views.make_view(_wrap(p), self, (name, i)) for i, p in enumerate(parts))
        if not (self._rg and _mode.enabled):
            return outs
        record_outputs(op, self, outs, attrs)
        return outs

    def select(self, dim, index):
        if self._data.ndim == 0:
            raise IndexError("select() cannot be applied to a 0-dim tensor.")
        d = _dims(dim, self._data.ndim)[0]
        return self[(slice(None),) * d + (index,)]

    def narrow(self, dim, start, length):
        if self._data.ndim == 0:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        d = _dims(dim, self._data.ndim)[0]
        size = self._data.shape[d]
        if not -size <= start <= size:
            raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                             f"but got {start})")
        if start < 0:
            start += size
        if length < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        if start + length > size:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                               f"({size}).")
        # SliceBackward0 even when the slice spans the whole dim, as PyTorch's narrow records
        return self._index_step("slice", d, slice(start, start + length))


bind_methods(Tensor, _ShapeMethods)
