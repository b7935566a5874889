"""Batch and layer normalisation: ``F.batch_norm``/``nn.BatchNorm1d``/``BatchNorm2d`` (node
``NativeBatchNormBackward0``) and ``F.layer_norm``/``nn.LayerNorm`` (``NativeLayerNormBackward0``).

Both are one op row over (input, weight, bias): ``(x - mean) / sqrt(var + eps) * w + b`` with the
biased variance over the statistic dims (the batch and spatial dims for batch norm, the last
``len(normalized_shape)`` dims for layer norm). Batch norm in eval mode (or with running stats
given and ``training=False``) uses the running statistics as constants. Statistics are
accumulated in float64, as ATen's CPU kernels accumulate them in double; running statistics
are updated in place with the unbiased variance, as PyTorch does.
"""

from __future__ import annotations

import numpy as np

from .._dtype import _default, to_numpy_dtype
from ..ops import OPS
from ..ops.nn_conv import stats as _stats
from ..tensor import Tensor, _result, _wrap
from .module import Module, Parameter

_BATCH_NORM, _LAYER_NORM = OPS["native_batch_norm"], OPS["native_layer_norm"]


def _normalize(op, input, weight, bias, dims, eps, ps, mean, var, batch):
    y, attrs = op.fwd(input._data, None if weight is None else weight._data,
                      None if bias is None else bias._data, dims, eps, ps, batch, mean, var)
    return _result(op, y, (input, weight, bias), attrs)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) over the batch and spatial dims; in training the batch's
    statistics are used and the running ones (when given) move toward them by ``momentum``."""
    x = input._data
    if x.ndim < 2:
        raise ValueError(f"Expected 2D or more input (got {x.ndim}D input)")
    c = x.shape[1]
    if training:
        size = int(np.prod(x.shape, dtype=np.int64)) // c
        if size == 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {input.shape!r}")
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    dims = (0, *range(2, x.ndim))
    ps = (1, c) + (1,) * (x.ndim - 2)
    if training or running_mean is None or running_var is None:
        mean, var = _stats(x, dims)
        if training and running_mean is not None and running_var is not None:
            n = x.size // c
            unbiased = var.reshape(c) * (n / max(n - 1, 1))
            for buf, new in ((running_mean, mean.reshape(c)), (running_var, unbiased)):
                upd = (1 - momentum) * buf._data.astype(np.float64) + momentum * new
                buf._data[...] = upd.astype(buf._data.dtype)
                buf._vc[0] += 1
        return _normalize(_BATCH_NORM, input, weight, bias, dims, eps, ps, mean, var, True)
    mean = running_mean._data.astype(np.float64).reshape(ps)
    var = running_var._data.astype(np.float64).reshape(ps)
    return _normalize(_BATCH_NORM, input, weight, bias, dims, eps, ps, mean, var, False)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    x = input._data
    k = len(shape)
    if x.shape[x.ndim - k:] != shape or x.ndim < k:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(x.shape)}")
    for t in (weight, bias):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got "
                               f"weight of shape {list(t.shape)} and normalized_shape = "
                               f"{list(shape)}")
    dims = tuple(range(x.ndim - k, x.ndim))
    mean, var = _stats(x, dims)
    return _normalize(_LAYER_NORM, input, weight, bias, dims, eps, shape, mean, var, True)


# ---- modules -----------------------------------------------------------------------------------
def _dtype(dtype):
    return to_numpy_dtype(dtype) if dtype is not None else _default[0].np


class _BatchNorm(Module):
    _dims = "2D or 3D"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None, dtype=None,
                 *, bias: bool = True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        npd = _dtype(dtype)
        if affine:
            self.weight = Parameter(_wrap(np.ones(num_features, dtype=npd)))
            if bias:
                self.bias = Parameter(_wrap(np.zeros(num_features, dtype=npd)))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", _wrap(np.zeros(num_features, dtype=npd)))
            self.register_buffer("running_var", _wrap(np.ones(num_features, dtype=npd)))
            self.register_buffer("num_batches_tracked", _wrap(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            for buf, v in ((self.running_mean, 0), (self.running_var, 1),
                           (self.num_batches_tracked, 0)):
                buf._data[...] = v
                buf._vc[0] += 1

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            self.weight._data[...] = 1
            if self.bias is not None:
                self.bias._data[...] = 0

    def _check_input_dim(self, input):
        raise NotImplementedError

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            nbt = self.num_batches_tracked
            nbt._data[...] += 1
            nbt._vc[0] += 1
            factor = 1.0 / float(nbt._data) if self.momentum is None else self.momentum
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if keep else None,
                          self.running_var if keep else None, self.weight, self.bias, use_batch,
                          factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input."""

    def _check_input_dim(self, input):
        if input.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input."""

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class LayerNorm(Module):
    """Layer norm over the last dims (``normalized_shape``), with elementwise affine params."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        npd = _dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(_wrap(np.ones(self.normalized_shape, dtype=npd)))
            if bias:
                self.bias = Parameter(_wrap(np.zeros(self.normalized_shape, dtype=npd)))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
