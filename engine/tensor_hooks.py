"""``Tensor.register_post_accumulate_grad_hook``: hooks a leaf runs after its ``.grad`` has been
written by backward (the engine reads ``_post_acc_hooks`` once per leaf it accumulates)."""

from __future__ import annotations

from .node import add_hook
from .tensor import Tensor

Tensor._post_acc_hooks = None  # OrderedDict of the leaf's post-accumulate hooks


def register_post_accumulate_grad_hook(self, hook):
    """``hook(tensor)`` after backward has accumulated into ``tensor.grad``; returns a handle
    whose ``remove()`` unregisters it."""
    if not self._rg:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    self._post_acc_hooks, handle = add_hook(self._post_acc_hooks, hook)
    return handle


Tensor.register_post_accumulate_grad_hook = register_post_accumulate_grad_hook
