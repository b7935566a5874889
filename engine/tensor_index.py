"""Reading a tensor by index (``t[idx]``), bound onto ``Tensor``: basic indices (ints, slices,
None, Ellipsis) give views, one node per indexed dim as PyTorch records them
(``SliceBackward0``/``SelectBackward0``); advanced indices give a copy with one ``IndexBackward0``.
Writing by index is ``tensor_inplace``'s ``__setitem__``."""

from __future__ import annotations

import builtins

import numpy as np

from .dispatch import _result
from .index_errors import index_error
from .ops import OPS
from .tensor_data import Tensor, _arr, bind_methods
from .views import make_view

_INDEX, _ALIAS = OPS["index"], OPS["alias"]


def _convert_index(idx):
    if isinstance(idx, tuple):
        return tuple(_convert_index(i) for i in idx)
    if isinstance(idx, Tensor):
        return idx._data
    if isinstance(idx, list):
        return np.asarray([_arr(i) for i in idx])
    return idx


def _is_basic_item(i):
    return (isinstance(i, builtins.int) and not isinstance(i, builtins.bool)) or isinstance(
        i, slice) or i is None or i is Ellipsis


def _is_int_index(i):
    if isinstance(i, np.ndarray):
        return i.ndim == 0 and i.dtype.kind in "iu"
    return isinstance(i, builtins.int | np.integer) and not isinstance(i, builtins.bool)


def _split_int_indices(items):
    """(the integer selections with every other dim kept whole, the other items)."""
    first, rest = [], []
    for i in items:
        if _is_int_index(i):
            first.append(builtins.int(i))
        elif i is None or (isinstance(i, builtins.bool | np.ndarray) and np.ndim(i) == 0):
            rest.append(i)
        elif i is Ellipsis:
            first.append(i)
            rest.append(i)
        else:
            n = i.ndim if isinstance(i, np.ndarray) and i.dtype.kind == "b" else 1
            first.extend([slice(None)] * n)
            rest.append(i)
    return tuple(first), tuple(rest)


class _IndexMethods:
    def __getitem__(self, idx):
        idx = _convert_index(idx)
        items = idx if isinstance(idx, tuple) else (idx,)
        if all(_is_basic_item(i) for i in items):
            return self._basic_index(items)
        if any(_is_int_index(i) for i in items):
            # PyTorch selects integer indices first and then places the advanced dims by the
            # remaining items alone (numpy counts integers as advanced indices: other places)
            if self._data.ndim == 0:
                raise IndexError("too many indices for tensor of dimension 0")
            first, rest = _split_int_indices(items)
            out = self._basic_index(first)
            return out[rest] if rest and not all(i is Ellipsis for i in rest) else out
        x = self._data
        try:
            out, attrs = _INDEX.fwd(x, idx)
        except IndexError as e:
            raise (index_error(x.shape, items) or IndexError(str(e))) from None
        return _result(_INDEX, out, (self,), attrs, self._rg)

    def _basic_index(self, items):
        # one node per indexed dim, as PyTorch records x[0, 1:] as SliceBackward0(SelectBackward0)
        if self._data.ndim == 0:
            if len(items) == 1 and isinstance(items[0], slice):
                raise IndexError("slice() cannot be applied to a 0-dim tensor.")
            if len(items) == 1 and isinstance(items[0], builtins.int):
                raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in "
                                 "Python or `tensor.item<T>()` in C++ to convert a 0-dim "
                                 "tensor to a number")
        if builtins.sum(1 for i in items if i is not None and i is not Ellipsis) > self._data.ndim:
            raise IndexError(f"too many indices for tensor of dimension {self._data.ndim}")
        if Ellipsis in items:
            k = items.index(Ellipsis)
            used = builtins.sum(1 for i in items if i is not None and i is not Ellipsis)
            items = items[:k] + (slice(None),) * (self._data.ndim - used) + items[k + 1:]
        out, dim, orig = self, 0, 0  # dim in the result so far; orig in self (for messages)
        for item in items:
            if item is None:
                out = out.unsqueeze(dim)
                dim += 1
            elif isinstance(item, slice):
                size = out._data.shape[dim]
                if item.indices(size) != (0, size, 1):
                    out = out._index_step("slice", dim, item)
                dim += 1
                orig += 1
            else:
                size = out._data.shape[dim]
                if not -size <= item < size:
                    raise IndexError(f"index {item} is out of bounds for dimension {orig} with "
                                     f"size {size}")
                out = out._index_step("select", dim, item)
                orig += 1
        if out is self:
            arr, attrs = _ALIAS.fwd(self._data)
            return make_view(_result(_ALIAS, arr, (self,), attrs, self._rg), self)
        return out  # each step made its result a view of self's base already

    def _index_step(self, key, dim, item):
        op = OPS[key]
        out, attrs = op.fwd(self._data, dim, item)
        return make_view(_result(op, out, (self,), attrs, self._rg), self)


bind_methods(Tensor, _IndexMethods)
del _IndexMethods
