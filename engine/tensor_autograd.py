"""The Tensor's autograd fields as PyTorch shows them, bound onto ``Tensor``:
``requires_grad``, ``is_leaf``, ``grad`` (with PyTorch's checks and its warning for a non-leaf
grad), tensor hooks and ``retain_grad``."""

from __future__ import annotations

import builtins
import warnings
import weakref

import numpy as np

from . import _dtype
from .node import add_hook
from .tensor import _C_TYPE_NAMES
from .tensor_data import Tensor, bind_methods

_NOT_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)


class _AutogradMethods:
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")
        self._rg = builtins.bool(value)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains and self._grad is None:
            warnings.warn(_NOT_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a "
                    f"tensor of size '{list(self._data.shape)}'. Please ensure that the gradient "
                    "and the tensor are the same size")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(_grad_dtype_message(value._data.dtype, self._data.dtype))
        self._grad = value

    def register_hook(self, hook):
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        fn = self.grad_fn
        if fn is None:
            self._hooks, handle = add_hook(self._hooks, hook)
            return handle
        if fn._pre_hooks is None:
            fn._pre_hooks = {}
        hooks, handle = add_hook(fn._pre_hooks.get(self._out_nr), hook)
        fn._pre_hooks[self._out_nr] = hooks
        return handle

    def retain_grad(self):
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        fn = self.grad_fn
        if fn is None or self._retains:
            return
        if fn._retain is None:
            fn._retain = {}
        fn._retain[self._out_nr] = weakref.ref(self)
        self._retains = True

    @property
    def retains_grad(self) -> bool:
        return self._retains


bind_methods(Tensor, _AutogradMethods)
del _AutogradMethods


def _grad_dtype_message(got, want) -> str:
    scalar_type = _dtype.from_numpy_dtype(want).tensor_type.removesuffix("Tensor")
    return (f"attempting to assign a gradient with dtype '{_C_TYPE_NAMES[np.dtype(got).name]}' "
            f"to a tensor with grad_dtype '{scalar_type}'. The gradient must match the tensor's "
            "grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype "
            "attribute with a specific dtype, or None to allow any dtype. Set grad_dtype with "
            "caution. Diverging the dtypes of a tensor and its gradient may break downstream "
            "systems that assume they match.")
