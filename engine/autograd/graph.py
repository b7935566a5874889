"""``torch.autograd.graph``: gradient edges, hooks over several tensors, and version bumps."""

from __future__ import annotations

import functools
import threading
import weakref
from collections import defaultdict
from typing import NamedTuple

from .. import dispatch as _dispatch
from .. import inplace_saved
from ..autograd_engine import current_graph_task_id, will_engine_execute_node
from ..node import FREED, Node, RemovableHandle, accumulate_node
from ..tensor import Tensor, _wrap


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




# ---- saved tensor hooks ------------------------------------------------------------------------


class _HookStack(threading.local):
    stack = ()  # (pack_hook, unpack_hook) pairs of this thread, innermost last


_hook_stack = _HookStack()
_active_lock = threading.Lock()
_active = 0  # saved_tensors_hooks contexts open in any thread


# node name -> order(node): the saved input slots PyTorch's node keeps, in the order it packs and
# unpacks them (set by engine.saved_values from PyTorch's argument names); other nodes: all, in
# input order
SAVE_ORDER: dict = {}


class _PackedSaved(tuple):
    """A node's saved values after its pack hook ran: reading them (by index or iteration)
    calls the unpack hook; iteration unpacks in ``order`` (None: input order) first."""

    order = None

    def _unpack(self, item):
        if type(item) is not _PackedItem:
            return item
        return item.unpack()

    def __iter__(self):
        order = self.order
        first = {i: self._unpack(tuple.__getitem__(self, i)) for i in order} if order else {}
        for i, item in enumerate(tuple.__iter__(self)):
            yield first[i] if i in first else self._unpack(item)

    def __getitem__(self, i):
        item = tuple.__getitem__(self, i)
        if isinstance(i, slice):
            return tuple(self._unpack(x) for x in item)
        return self._unpack(item)


class _PackedItem:
    """One saved tensor as its pack hook left it, with the original's place in the graph."""

    __slots__ = ("acc", "node", "out_nr", "packed", "rg", "unpack_hook", "vc")

    def __init__(self, t, pack, unpack):
        with _no_grad():
            self.packed = pack(t)
        self.unpack_hook = unpack
        self.vc = t._vc
        self.rg, self.node, self.out_nr = t._rg, t.grad_fn, t._out_nr
        self.acc = accumulate_node(t) if t._rg and t.grad_fn is None else None

    def unpack(self):
        # no version check: what backward uses is what the pack hook kept (PyTorch's rule)
        value = _checked(self.unpack_hook(self.packed))
        if not self.rg:
            return value
        # the unpacked value stands for the original in the graph: same node, or same leaf
        alias = _wrap(value._data, True)
        alias._vc = self.vc
        if self.node is not None:
            alias.grad_fn, alias._out_nr = self.node, self.out_nr
        else:
            alias._acc = weakref.ref(self.acc)
        return alias


def _checked(value):
    if not isinstance(value, Tensor):
        raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                        f"result of type {type(value).__name__}")
    return value


def pack_saved(node) -> None:
    """Run the innermost pack hook of this thread on the values ``node`` has saved."""
    stack = _hook_stack.stack
    if not stack:
        return
    pack, unpack = stack[-1]
    inplace_saved.before_pack(node)
    saved = node._saved
    if saved and saved is not FREED:
        order = SAVE_ORDER.get(node.name())
        slots = order(node) if order is not None else range(len(saved))
        items = list(saved)
        for i in slots:
            if isinstance(items[i], Tensor):
                items[i] = _PackedItem(items[i], pack, unpack)
        node._saved = packed = _PackedSaved(items)
        packed.order = tuple(slots) if order is not None else None
        node._versions = None
    out = node._out
    if out is not None:
        arr, vc, _ = out
        t = _wrap(arr, True)
        t._vc, t.grad_fn, t._out_nr = vc, node, 0
        with _no_grad():
            packed = pack(t)
        node._out = _PackedOut((packed, vc, unpack))


def pack_saved_value(node, index, pack, unpack) -> None:
    """Run ``pack`` on one value ``node`` saved (input ``index``, or its output when ``index``
    is None) and keep its result; ``unpack`` gives the tensor back when it is read."""
    if index is None:
        arr, vc, _ = node._out
        t = _wrap(arr, True)
        t._vc, t.grad_fn, t._out_nr = vc, node, 0
        with _no_grad():
            packed = pack(t)
        node._out = _PackedOut((packed, vc, unpack))
        return
    items = list(tuple.__iter__(node._saved))
    items[index] = _PackedItem(items[index], pack, unpack)
    node._saved = _PackedSaved(items)
    node._versions = None  # packed values are not version-checked (nor, here, the node's others)


def is_packed(node, index) -> bool:
    """Whether the saved value ``index`` (None: the output) went through a pack hook."""
    if index is None:
        return type(node._out) is _PackedOut
    return type(node._saved) is _PackedSaved and \
        type(tuple.__getitem__(node._saved, index)) is _PackedItem


def _no_grad():
    from ..grad_mode import no_grad

    return no_grad()


class _PackedOut(tuple):
    """A node's saved output after packing: ``arr, vc, version = node._out`` unpacks it."""

    __slots__ = ()

    def __iter__(self):
        packed, vc, unpack = tuple.__iter__(self)
        yield _checked(unpack(packed))._data
        yield vc
        yield vc[0]  # no version check on packed values


class saved_tensors_hooks:
    """Context manager: every tensor a graph node saves while it is active is passed to
    ``pack_hook`` (its result is stored instead), and ``unpack_hook(stored)`` gives the tensor
    back when backward (or ``ctx.saved_tensors``) needs it. Thread-local; nested contexts use the
    innermost hooks."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        global _active
        _hook_stack.stack = (*_hook_stack.stack, (self.pack_hook, self.unpack_hook))
        with _active_lock:
            _active += 1
            _dispatch._pack_saved = pack_saved

    def __exit__(self, *exc):
        global _active
        _hook_stack.stack = _hook_stack.stack[:-1]
        with _active_lock:
            _active -= 1
            if _active == 0:
                _dispatch._pack_saved = None
        return False


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are kept on the CPU until backward needs them — where the engine keeps
    every tensor, so packing is a copy and unpacking gives it back."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        super().__init__(lambda t: (t.device, t.detach().clone()), lambda p: p[1].to(p[0]))


__all__ = ["GradientEdge", "get_gradient_edge", "increment_version", "register_multi_grad_hook",
           "save_on_cpu", "saved_tensors_hooks"]
