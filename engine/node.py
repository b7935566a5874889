"""Graph nodes as data: each ``grad_fn`` is an instance of a small generated class named as in
PyTorch (``MulBackward0``), holding its op row, saved values and ``next_functions`` — no closures,
so the debugger and the symbolic check can read and replay them."""

from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict

_seq = itertools.count()
next_seq = _seq.__next__

FREED = "freed"  # marker stored in Node._saved once saved tensors are released


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_dict_ref", "id")
    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self._dict_ref = weakref.ref(hooks)
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        hooks = self._dict_ref()
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks: dict | None, fn):
    if hooks is None:
        hooks = OrderedDict()
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return hooks, handle


# Hooks on the node itself live in ``_pre_hooks`` beside the tensor hooks (keyed by output
# number >= 0), so the backward loop's one "any hooks?" test covers both.
NODE_PRE, NODE_POST = -1, -2


class Node:
    """Base of every ``grad_fn``. Subclasses set ``op`` (an ``ops.Op`` row) as a class attribute.

    ``_saved``: tuple of values the VJP reads (Tensors, Python scalars or None), ``FREED`` once
    released, or ``()`` when the op saves nothing (such nodes may be walked again, as in PyTorch).
    Calling a node (``grad_fn(*grads)``) and ``saved_tensors`` run the autograd engine, which sits
    above this module: ``autograd_engine`` binds both onto the class when it loads.
    """

    __slots__ = (
        "__weakref__",
        "_attrs",
        "_metadata",
        "_out",  # (array, version list) when the op saves its output, else None
        "_out_meta",  # tuple of (shape, dtype) per output
        "_pre_hooks",  # {output_nr: OrderedDict of tensor hooks}, NODE_PRE/NODE_POST: node's
        "_retain",  # {output_nr: weakref to a tensor that called retain_grad()}
        "_saved",
        "_seq",
        "_versions",
        "next_functions",
    )
    op = None
    _name = "Node"
    _apply_custom = None  # custom autograd.Function nodes override this

    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def metadata(self) -> dict:
        try:
            return self._metadata
        except AttributeError:
            self._metadata = {}
            return self._metadata

    @property
    def _sequence_nr(self) -> int:
        return self._seq

    def _input_metadata(self):
        return self._out_meta

    def register_prehook(self, fn):
        """``fn(grad_outputs) -> tuple | None`` before the node runs (after tensor hooks)."""
        return self._add_node_hook(NODE_PRE, fn)

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs) -> tuple | None`` after the node has run."""
        return self._add_node_hook(NODE_POST, fn)

    def _add_node_hook(self, key, fn):
        if self._pre_hooks is None:
            self._pre_hooks = {}
        self._pre_hooks[key], handle = add_hook(self._pre_hooks.get(key), fn)
        return handle

    @property
    def freed(self) -> bool:
        return self._saved is FREED


def saved_output(node):
    """The array of its output that ``node`` saved for backward (ops such as tanh and exp save
    it), or None: none saved, or released by a backward pass."""
    out = getattr(node, "_out", None)
    return None if out is None else out[0]


_node_classes: dict[tuple, type] = {}


def node_class(name: str, op) -> type:
    """The grad_fn class for ``op``: one per op row, so two rows may share PyTorch's printed name
    (several overloads print AddBackward0) and still keep their own VJP."""
    key = (name, id(op))
    cls = _node_classes.get(key)
    if cls is None:
        # PyTorch's C++ nodes name themselves torch::autograd::CopySlices; their class is CopySlices
        cls = type(name.rpartition("::")[2], (Node,), {"__slots__": (), "op": op, "_name": name})
        _node_classes[key] = cls
    return cls


class AccumulateGrad(Node):
    """The node a leaf that requires grad appears as in ``next_functions``."""

    __slots__ = ("variable",)
    _name = "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


def accumulate_node(t) -> AccumulateGrad:
    """The leaf's AccumulateGrad, created on first use and shared while any graph holds it
    (the tensor keeps only a weak reference, so no cycle keeps graphs alive)."""
    ref = t._acc
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad.__new__(AccumulateGrad)
        node.variable = t
        node.next_functions = ()
        node._saved = ()
        node._seq = 2**63  # PyTorch runs accumulation as soon as it is ready
        node._pre_hooks = None
        node._retain = None
        node._out = None
        node._attrs = None
        node._versions = None
        node._out_meta = None
        t._acc = weakref.ref(node)
    return node
