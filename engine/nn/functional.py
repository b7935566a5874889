"""``torch.nn.functional``: activations and ``linear`` here; the softmaxes (``nn.softmax``),
the losses (``nn.losses``, ``nn.losses_extra``) and the layer families come from their own
modules and are re-exported.

``linear`` on a batch with a bias runs the ``addmm`` row of ``engine.ops.linalg`` (one
``AddmmBackward0`` node, as PyTorch records it).
"""

from __future__ import annotations

import numpy as np

from ..elementwise_extra import hardtanh
from ..grad_mode import mode as _mode
from ..ops import OPS
from ..tensor import Tensor, _result, _wrap
from .activation_functions import dropout, elu, gelu, leaky_relu, silu, softplus
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from .softmax import log_softmax, softmax


# ---- activations ---------------------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return input.relu_() if inplace else input.relu()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x))."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """tanh(x)."""
    return input.tanh()



# ---- linear (the addmm row: engine.ops.linalg) ---------------------------------------------
def _check_mm(x, w):
    if x.shape[-1] != w.shape[-1]:
        rows = int(np.prod(x.shape[:-1], dtype=np.int64)) if x.ndim > 1 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1]} and "
                           f"{w.shape[1]}x{w.shape[0]})")
    if x.dtype != w.dtype:
        names = {np.dtype(np.float64): "double", np.dtype(np.float32): "float",
                 np.dtype(np.float16): "c10::Half"}
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{names.get(x.dtype, x.dtype.name)} != "
                           f"{names.get(w.dtype, w.dtype.name)}")


_ADDMM = OPS["addmm"]
_ADDMM_FWD = _ADDMM.fwd


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ W.T + b. On a batch with a bias this is one AddmmBackward0 node over the bias, the
    input and ``W.t()`` (TBackward0), as PyTorch records it."""
    x, w = input._data, weight._data
    if x.shape[-1:] != w.shape[1:] or x.dtype is not w.dtype:
        _check_mm(x, w)
    if bias is None:
        if x.ndim == 1 and w.ndim == 2:  # PyTorch: unsqueeze, mm, squeeze((0,))
            out = input.unsqueeze(0) @ weight.t()
            op = OPS["squeeze_dims_"]
            arr, attrs = op.fwd(out._data, out._data.shape[1:])
            return _result(op, arr, (out,), attrs, out._rg)
        return input @ weight.t()
    if x.ndim != 2:
        lead = x.shape[:-1]
        flat = input.reshape(-1, x.shape[-1]) if x.ndim != 1 else input.reshape(1, x.shape[-1])
        return linear(flat, weight, bias).reshape(*lead, w.shape[0])
    out, attrs = _ADDMM_FWD(bias._data, x, w.T)
    if not (_mode.enabled and (weight._rg or bias._rg or input._rg)):
        return _wrap(out)
    return _result(_ADDMM, out, (bias, input, weight.t()), attrs, True)


__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "dropout", "elu",
    "gelu", "l1_loss", "leaky_relu", "linear", "log_softmax", "mse_loss", "nll_loss", "relu",
    "sigmoid", "silu", "softmax", "softplus", "tanh",
]


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot rows (no grad: the input holds class indices)."""
    x = tensor._data
    if x.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if x.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(x.max()) + 1
    if x.size and x.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if x.size and x.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _wrap((x[..., None] == np.arange(num_classes)).astype(np.int64))



# layer families live in their own modules (each registers its op rows on import)
from .embedding import embedding  # noqa: E402
from .losses_extra import huber_loss, kl_div, smooth_l1_loss  # noqa: E402
from .conv import conv1d, conv2d, pad  # noqa: E402
from .normalization import batch_norm, layer_norm  # noqa: E402
from .pooling import (  # noqa: E402
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)

__all__ += ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d",
            "batch_norm", "layer_norm", "conv1d",
            "conv2d", "embedding", "huber_loss", "kl_div", "max_pool1d", "max_pool2d", "pad",
            "smooth_l1_loss"]
from .activation_more import (  # noqa: E402
    celu,
    hardsigmoid,
    hardswish,
    logsigmoid,
    mish,
    relu6,
    selu,
    softmin,
    softsign,
    threshold,
    threshold_,
)
from .resample import interpolate, normalize  # noqa: E402

__all__ += ["interpolate", "normalize"]
from .attention import scaled_dot_product_attention  # noqa: E402

__all__ += ["scaled_dot_product_attention"]
from .unfold import fold, unfold  # noqa: E402

__all__ += ["fold", "unfold"]
from .conv_more import conv3d, conv_transpose1d, conv_transpose2d  # noqa: E402

__all__ += ["conv3d", "conv_transpose1d", "conv_transpose2d"]
from .pool_more import avg_pool3d, max_unpool2d  # noqa: E402

__all__ += ["avg_pool3d", "max_unpool2d"]
