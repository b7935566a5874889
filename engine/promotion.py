"""PyTorch's type promotion, the one table every op asks.

A binary op's operands fall into three priorities: tensors with dimensions, zero-dim tensors and
Python scalars. The result's category (bool < integer < floating) is the highest any operand
has; its dtype comes from the highest-priority operands of that category, promoted among
themselves (``int8`` and ``uint8`` give ``int16``). A lower-priority operand only decides the
dtype when its category is higher than every higher-priority operand's: a zero-dim tensor then
brings its own dtype, a Python float brings the default dtype and a Python int brings ``int64``.

Results are cached by dtype pair (and priority), so the op's hot path pays one dict lookup.
"""

from __future__ import annotations

import numpy as np

from . import _dtype
from .tensor_data import Tensor

_CAT = {"b": 0, "u": 1, "i": 1, "f": 2}
_INT64 = np.dtype(np.int64)
_BOOL = np.dtype(np.bool_)
_DIM, _ZERO_DIM = 2, 1  # priorities of tensors; Python scalars are handled by with_scalar

_tensor_cache: dict = {}
_scalar_cache: dict = {}


def category(dt: np.dtype) -> int:
    """0 bool, 1 integer, 2 floating."""
    return _CAT[dt.kind]


def tensors(da: np.dtype, a_has_dims: bool, db: np.dtype, b_has_dims: bool) -> np.dtype:
    """Result dtype of a binary op between two tensors."""
    key = (da, a_has_dims, db, b_has_dims)
    r = _tensor_cache.get(key)
    if r is None:
        r = _tensor_cache[key] = _tensors(da, _DIM if a_has_dims else _ZERO_DIM,
                                          db, _DIM if b_has_dims else _ZERO_DIM)
    return r


def _tensors(da, pa, db, pb):
    ca, cb = _CAT[da.kind], _CAT[db.kind]
    if pa == pb:
        if ca == cb:
            return np.promote_types(da, db)
        return da if ca > cb else db
    hi, lo, chi, clo = (da, db, ca, cb) if pa > pb else (db, da, cb, ca)
    return lo if clo > chi else hi


def with_scalar(da: np.dtype, scalar_type: type) -> np.dtype:
    """Result dtype of a binary op between a tensor of dtype ``da`` and a Python number of type
    ``scalar_type`` (bool, int or float)."""
    default = _dtype._default[0].np
    key = (da, scalar_type, default)
    r = _scalar_cache.get(key)
    if r is None:
        cs = 2 if scalar_type is float else (0 if scalar_type is bool else 1)
        if cs <= _CAT[da.kind]:
            r = da
        else:
            r = default if cs == 2 else _INT64
        _scalar_cache[key] = r
    return r


def result_type(a, b) -> np.dtype:
    """``torch.result_type``: the promoted numpy dtype of two operands, each an engine Tensor or
    a Python number."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            da, db = _scalar_dtype(a), _scalar_dtype(b)
            return da if _CAT[da.kind] >= _CAT[db.kind] else db
        a, b = b, a
    da = a._data.dtype
    if isinstance(b, Tensor):
        return tensors(da, a._data.ndim != 0, b._data.dtype, b._data.ndim != 0)
    return with_scalar(da, type(b) if type(b) in (bool, int, float) else float)


def _scalar_dtype(x) -> np.dtype:
    if type(x) is bool:
        return _BOOL
    if type(x) is int:
        return _INT64
    return _dtype._default[0].np


def torch_result_type(tensor1, tensor2):
    """``torch.result_type(tensor1, tensor2)``: the dtype a binary op between them gives."""
    return _dtype.from_numpy_dtype(result_type(tensor1, tensor2))


def promote_types(type1, type2):
    """``torch.promote_types``: two dtypes promoted as two dimensioned tensors would be."""
    return _dtype.from_numpy_dtype(_tensors(type1.np, _DIM, type2.np, _DIM))
