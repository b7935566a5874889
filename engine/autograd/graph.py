"""``torch.autograd.graph``: gradient edges, hooks over several tensors, and version bumps."""

from __future__ import annotations

import functools
import threading
from collections import defaultdict
from typing import NamedTuple

from ..autograd_engine import current_graph_task_id, will_engine_execute_node
from ..node import Node, RemovableHandle, accumulate_node
from ..tensor import Tensor


class GradientEdge(NamedTuple):
    """An edge of the graph: the node that receives a grad and which of its inputs it is.
    ``autograd.grad`` and ``backward(inputs=)`` accept one where they accept a tensor."""

    node: Node
    output_nr: int
    ownership_token: object = None


def _grad_fn_or_acc(t):
    return t.grad_fn if t.grad_fn is not None else accumulate_node(t)


def get_gradient_edge(tensor) -> GradientEdge:
    """The edge whose grad is ``tensor``'s gradient (its ``grad_fn`` or its AccumulateGrad)."""
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does not "
                           "require gradients")
    return GradientEdge(_grad_fn_or_acc(tensor), tensor.output_nr)


def increment_version(tensor) -> None:
    """Bump the version counter of ``tensor`` (or of each tensor in an iterable), as an in-place
    change would: saved copies of it then refuse to be used in backward."""
    if isinstance(tensor, Tensor):
        tensor = (tensor,)
    for t in tensor:
        t._vc[0] += 1


class _MultiHandle(RemovableHandle):
    __slots__ = ("handles",)

    def __init__(self, handles):
        self.handles = handles

    def remove(self) -> None:
        for h in self.handles:
            h.remove()

    def __getstate__(self):
        return self.handles

    def __setstate__(self, state):
        self.handles = state


def register_multi_grad_hook(tensors, fn, *, mode: str = "all"):
    """``mode="all"``: ``fn(grads)`` once per backward, after the grad of every tensor this
    backward reaches has been computed (None for the others). ``mode="any"``: ``fn(grad)`` with
    the first of them computed, once per backward."""
    supported = ("all", "any")
    if mode not in supported:
        raise ValueError(f"Expects mode to be one of {supported} but got {mode}")
    tensors = tuple(tensors)
    lock = threading.Lock()
    if mode == "all":
        count: dict[int, int] = {}
        expected: dict[int, int] = {}
        buffer: dict[int, list] = {}
        nodes = [_grad_fn_or_acc(t) for t in tensors]

        def inner(idx):
            def hook(grad):
                task = current_graph_task_id()
                with lock:
                    seen = count.get(task, 0)
                    count[task] = seen + 1
                    if seen == 0:
                        expected[task] = sum(map(will_engine_execute_node, nodes))
                        buffer[task] = [None] * len(tensors)
                buffer[task][idx] = grad
                if seen == expected[task] - 1:
                    grads = buffer.pop(task)
                    del count[task], expected[task]
                    fn(grads)

            return hook

        handles = tuple(t.register_hook(inner(i)) for i, t in enumerate(tensors))
    else:
        ran: dict[int, bool] = defaultdict(bool)

        @functools.wraps(fn)
        def wrapped(grad):
            task = current_graph_task_id()
            with lock:
                if ran[task]:
                    return
                ran[task] = True
            fn(grad)

        handles = tuple(t.register_hook(wrapped) for t in tensors if t.requires_grad)
    return _MultiHandle(handles)


__all__ = ["GradientEdge", "get_gradient_edge", "increment_version", "register_multi_grad_hook"]
