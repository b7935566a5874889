"""Tensor methods that are a ``torch.*`` function of the tensor, bound onto ``Tensor`` from one
table when ``engine`` is imported: the tensor module stays below the function families
(matmul and softmax in ``functions``, sorting and masking in ``ordering``, in-place fills in
``inplace_ops``) and the autograd engine (``backward``) instead of reaching up into them at
call time."""

from __future__ import annotations

import numpy as np

from . import autograd_engine, functions, inplace_ops, ordering, sort_args
from .tensor import Tensor, _broadcast_error, _wrap, as_array


def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    eng = autograd_engine
    if gradient is None and inputs is None:  # loss.backward(): straight to the steps
        eng._consume(eng.backward_steps((self,), None, retain_graph, create_graph,
                                         steps=False))
        return
    eng.backward((self,), None if gradient is None else (gradient,), retain_graph,
                 create_graph, inputs=inputs)


def matmul(self, other):
    return functions.matmul(self, other)


def __rmatmul__(self, other):
    return functions.matmul(_wrap(as_array(other)), self)


def mm(self, mat2):
    return functions.mm(self, mat2)


def mv(self, vec):
    return functions.mv(self, vec)


def dot(self, other):
    return functions.dot(self, other)


def bmm(self, mat2):
    return functions.bmm(self, mat2)


def maximum(self, other):
    return functions.maximum(self, other)


def minimum(self, other):
    return functions.minimum(self, other)


def softmax(self, dim, dtype=None):
    return functions.softmax(self, dim, dtype)


def log_softmax(self, dim, dtype=None):
    return functions.log_softmax(self, dim, dtype)


sort, argsort = sort_args.tensor_sort, sort_args.tensor_argsort  # PyTorch's two overloads


def topk(self, k, dim=-1, largest=True, sorted=True):
    return ordering.topk(self, k, dim, largest, sorted)


def cumsum(self, dim, dtype=None):
    return ordering.cumsum(self, dim, dtype)


def flip(self, *dims):
    return ordering.flip(self, *dims)


def masked_fill(self, mask, value):
    return ordering.masked_fill(self, mask, value)


def masked_fill_(self, mask, value):
    if isinstance(mask, Tensor):
        try:
            np.broadcast_shapes(self._data.shape, mask._data.shape)
        except ValueError:  # in place, PyTorch names the tensor itself "a"
            raise _broadcast_error(self._data.shape, mask._data.shape) from None
    return self._inplace(lambda a: ordering.masked_fill(a, mask, value))


def tril(self, diagonal=0):
    return ordering.tril(self, diagonal)


def triu(self, diagonal=0):
    return ordering.triu(self, diagonal)


def zero_(self):
    return self._inplace(inplace_ops.zero)


def fill_(self, value):
    return self._inplace(inplace_ops.fill, value)


def copy_(self, src, non_blocking=False):
    return self._inplace(inplace_ops.copy, src)


METHODS = {
    "backward": backward, "matmul": matmul, "__matmul__": matmul, "__rmatmul__": __rmatmul__,
    "mm": mm, "mv": mv, "dot": dot, "bmm": bmm, "maximum": maximum, "minimum": minimum,
    "softmax": softmax, "log_softmax": log_softmax, "sort": sort, "argsort": argsort,
    "topk": topk, "cumsum": cumsum, "flip": flip, "masked_fill": masked_fill,
    "masked_fill_": masked_fill_, "tril": tril, "triu": triu, "zero_": zero_, "fill_": fill_,
    "copy_": copy_,
}

for _name, _fn in METHODS.items():
    _fn.__qualname__ = f"Tensor.{_fn.__name__}"
    setattr(Tensor, _name, _fn)
