"""What PyTorch saves for an in-place op that needs its input's old value in its backward
(``threshold_``, ``clamp_``, ``pow_``, ``mul_`` by a tensor that requires grad...): ATen clones
the input before overwriting it, so ``y.grad_fn._saved_self`` reads back with ``grad_fn``
CloneBackward0 (its edge: the input's old history) while the op's own edge goes to that history
directly. An op that saves its result instead (``relu_``, ``sigmoid_``, ``exp_``) clones nothing.

The engine's in-place ops compute on a stand-in holding a copy of the old data
(``Tensor._snapshot``); once the op's node is recorded, a stand-in that node saved for its
backward is given the clone's history. A create_graph backward then runs through the
CloneBackward0 node as PyTorch's does (an identity: values are unchanged). Only in-place ops
recorded by autograd pay for it; the out-of-place ops never come here."""

from __future__ import annotations

from .dispatch import record
from .ops import OPS

_CLONE = OPS["clone"]


def clone_saved_input(node, src) -> None:
    """Give the stand-in ``src`` (the overwritten input's old value) a CloneBackward0 history if
    ``node`` saved it for its backward: a saved input whose version the node checks."""
    versions = node._versions
    if versions is None or not src._rg:
        return
    for t, v in zip(node._saved, versions):
        if t is src and v is not None:
            record(_CLONE, src, (src,))  # the edge reads src's old history before it is replaced
            src._out_nr = 0
            return


# Under saved-tensor hooks the pack hook runs inside ``record``, before the in-place op returns:
# the stand-in of the op running now is kept here so that it is cloned before being packed (the
# pack hook sees the clone, as PyTorch's does).
_pending: list = [None]


def run_packed(fn, src, other):
    """``fn(src[, other])`` with ``src`` known to ``before_pack``."""
    _pending[0] = src
    try:
        return fn(src) if other is None else fn(src, other)
    finally:
        _pending[0] = None


def before_pack(node) -> None:
    """Called by the pack machinery for each node recorded under saved-tensor hooks."""
    src = _pending[0]
    if src is not None:
        clone_saved_input(node, src)
