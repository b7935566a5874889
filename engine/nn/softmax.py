"""``F.softmax`` and ``F.log_softmax``: the functions of ``engine.functions`` with
``nn.functional``'s implicit-dim warning and ``dtype`` argument."""

from __future__ import annotations

import warnings

from ..functions import log_softmax as _log_softmax
from ..functions import softmax as _softmax
from ..tensor import Tensor


def _softmax_dim(name, ndim, stacklevel=3):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  "include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x), dim), shifted by the max so it never overflows."""
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return _softmax(input, dim)


def log_softmax(input: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    """x - logsumexp(x, dim)."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return _log_softmax(input, dim)

