"""``F.scaled_dot_product_attention``: ``softmax(q @ k^T * scale + bias) @ v``, rows whose every
score is masked giving 0 (PyTorch's safe softmax).

PyTorch picks a kernel by the inputs, and the graph shows which: 4-d inputs with one head size
for q, k and v, equal batch dims and no dropout run its CPU flash kernel, one node
``ScaledDotProductFlashAttentionForCpuBackward0`` over (q, k, v) (here a composite row);
everything else runs the math composition, ending in ``MmBackward0`` (2-d) or
``UnsafeViewBackward0`` (batched matmul)."""

from __future__ import annotations

import math

import numpy as np

from .. import composite_rows
from ..composite_nn import FLASH, attend
from ..ops import OPS
from ..tensor import Tensor, _result, _wrap

_DT = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
       "int32": "int", "bool": "bool"}


def _bias(mask, causal, L, S, dtype):
    """The additive score bias: -inf where masked (None when nothing is masked)."""
    bias = None
    if causal:
        bias = np.where(np.tril(np.ones((L, S), bool)), 0.0, -np.inf).astype(dtype)
    if mask is not None:
        m = mask._data
        if m.dtype == np.bool_:
            b = np.where(m, 0.0, -np.inf).astype(dtype)
            bias = b if bias is None else bias + b
        else:
            if m.dtype != dtype:
                raise RuntimeError("Expected attn_mask dtype to be bool or float or to match "
                                   f"query dtype, but got attn_mask.dtype: "
                                   f"{_DT.get(str(m.dtype), m.dtype)} and  query.dtype: "
                                   f"{_DT.get(str(dtype), dtype)} instead.")
            return mask if bias is None else mask + _wrap(bias)
    return None if bias is None else _wrap(bias)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale=None,
                                 enable_gqa: bool = False) -> Tensor:
    """Attention of ``query`` (..., L, E) over ``key`` (..., S, E) and ``value`` (..., S, Ev)."""
    q, k, v = query._data, key._data, value._data
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, "
                           f"but got query.dim: {q.ndim} key.dim: {k.ndim} and value.dim: "
                           f"{v.ndim} instead.")
    if not (q.dtype == k.dtype == v.dtype):
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {_DT.get(str(q.dtype), q.dtype)} key.dtype: "
                           f"{_DT.get(str(k.dtype), k.dtype)} and value.dtype: "
                           f"{_DT.get(str(v.dtype), v.dtype)} instead.")
    if q.dtype.kind != "f":  # the scores are float, the values are not: the last matmul fails
        if q.ndim == v.ndim == 2:
            raise RuntimeError("expected m1 and m2 to have the same dtype, but got: float != "
                               f"{_DT.get(str(q.dtype), q.dtype)}")
        name = {"int64": "Long", "int32": "Int", "bool": "Bool"}.get(str(q.dtype), q.dtype)
        raise RuntimeError(f"expected scalar type Float but found {name}")
    L, S, E = q.shape[-2], k.shape[-2], q.shape[-1]
    if k.shape[-1] != E:
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{int(np.prod(k.shape[:-2]))}, {E}] but got: "
                           f"[{int(np.prod(k.shape[:-2]))}, {k.shape[-1]}].")
    groups = 1
    if enable_gqa and q.ndim >= 3 and k.ndim >= 3 and q.shape[-3] != k.shape[-3]:
        groups = q.shape[-3] // max(k.shape[-3], 1)
    factor = 1.0 / math.sqrt(E) if scale is None else float(scale)
    bias = _bias(attn_mask, is_causal, L, S, q.dtype)
    attrs = (bias, factor, float(dropout_p), groups)
    flash = (q.ndim == k.ndim == v.ndim == 4 and v.shape[-1] == E and dropout_p == 0
             and q.shape[0] == k.shape[0] == v.shape[0] and k.shape[1] == v.shape[1]
             and (q.shape[1] == k.shape[1] or groups > 1) and L and S)
    if flash:  # the flash kernel applies a mask and causality together
        return composite_rows.run(FLASH, (query, key, value), attrs)
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    out = attend(query, key, value, attrs)
    if out.dim() >= 3 and out.grad_fn is not None:
        # PyTorch's batched matmul folds the batch and views the result back
        return _result(OPS["unsafe_view"], out._data, (out,), tuple(out.shape))
    return out
