"""``grad_fn._saved_<name>``: the values a node keeps for its backward, under PyTorch's names.

PyTorch names each saved value after the argument of the op it came from (``self``, ``other``,
``result``, ``dim``, ``self_sym_sizes``...), and the autograd tutorials read them to show what a
graph holds on to: ``y.grad_fn._saved_self is x``, or the error once backward freed them. The
engine's nodes keep the same values in ``_saved`` (inputs), ``_out`` (the output) and ``_attrs``
(per-op metadata); ``SAVED`` says, per node name, which PyTorch name reads which of them.

Tensors are unpacked as the backward would (the freed-graph and modified-in-place errors are
PyTorch's); metadata stays readable after backward, as in PyTorch. Two differences are known: a
negative ``dim`` reads back normalised (PyTorch shows it as an unsigned wrap-around), and a node
not in ``SAVED`` has no ``_saved_*`` attributes rather than invented ones.
"""

from __future__ import annotations

import numpy as np

from .autograd.graph import SAVE_ORDER, _PackedItem, is_packed, pack_saved_value
from .autograd_engine import unpack_saved
from .node import FREED
from .ops.elementwise import add_alpha_fwd, sub_alpha_fwd
from .ops.table import watch
from .tensor import Tensor
from .tensor_data import _wrap

_PREFIX = "_saved_"
_ALPHA_FWDS = (add_alpha_fwd, sub_alpha_fwd)
_PACKED = (_PackedItem,)


def _tensor(v):
    """A saved Python number reads back as the 0-d tensor PyTorch wraps it in."""
    if v is None or isinstance(v, Tensor):
        return v
    if isinstance(v, bool):
        return _wrap(np.asarray(v))
    return _wrap(np.asarray(v, dtype=np.int64 if isinstance(v, int) else np.float64))


def _input(i, when=None):
    """Saved input ``i``; ``when(node)`` false: PyTorch did not save it (no grad needed it)."""
    def get(node):
        if when is not None and not when(node):
            return None
        saved, _ = unpack_saved(node, create_graph=False, wrap=True)
        return _tensor(saved[i])
    get.slot, get.when = i, when
    return get


def _result(node):
    _, out = unpack_saved(node, create_graph=False, wrap=True)
    return out


_result.slot, _result.when = None, None


class SavedTensor:
    """``grad_fn._raw_saved_<name>``: one saved tensor's slot, where pack/unpack hooks can be
    put on that value alone (``register_hooks(pack_hook, unpack_hook)``)."""

    __slots__ = ("_get", "_node")

    def __init__(self, node, get):
        self._node, self._get = node, get

    def register_hooks(self, pack_hook, unpack_hook) -> None:
        if not (callable(pack_hook) and callable(unpack_hook)):
            raise TypeError("register_hooks(): incompatible function arguments: expected "
                            "(pack_hook: Callable, unpack_hook: Callable)")
        node, slot = self._node, self._get.slot
        if node._saved is FREED:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor after it has been freed. Saved "
                "intermediate values of the graph are freed when you call .backward() or "
                "autograd.grad(). Specify retain_graph=True if you need to backward through the "
                "graph a second time or if you need to access saved variables after calling "
                "backward.")
        when = self._get.when
        if (when is not None and not when(node)) or (
                slot is not None and not isinstance(tuple.__getitem__(node._saved, slot),
                                                    (Tensor, *_PACKED))):
            raise RuntimeError("Calling register_hooks on a saved tensor with value None is "
                               "forbidden")
        if is_packed(node, slot):
            raise RuntimeError("Calling register_hooks on a saved tensor whose hooks have "
                               "already been set. Hint: only one pair of hooks is allowed at a "
                               "time.")
        pack_saved_value(node, slot, pack_hook, unpack_hook)


def _attr(fn):
    return lambda node: fn(node._attrs)


def _needs(i):
    return lambda node: node.next_functions[i][0] is not None


def _dims(d):
    return None if d is None else tuple(int(k) for k in d)


def _numel(shape):
    return int(np.prod(shape, dtype=np.int64))


def _strides(i):
    """Input ``i``'s strides, kept (as PyTorch does) only when its own grad is wanted."""
    def get(node):
        if node.next_functions[i][0] is None:
            return ()
        saved, _ = unpack_saved(node, create_graph=False, wrap=True)
        return tuple(saved[i].stride())
    return get


def _reduce_sizes(node):
    return tuple(node._attrs[0])


_SELF, _OTHER = _input(0), _input(1)
_RESULT = {"result": _result}
_UNARY_SELF = {"self": _SELF}
# alpha: the alpha rows keep it last in their attrs; the operators' rows are alpha 1
_ALPHA = {"alpha": lambda node: node._attrs[-1] if node.op.fwd in _ALPHA_FWDS else 1}
_MM = {"self": _input(0, _needs(1)), "mat2": _input(1, _needs(0)),
       "self_sym_sizes": _attr(lambda a: tuple(a[0])), "mat2_sym_sizes": _attr(lambda a: tuple(a[1])),
       "self_sym_strides": _strides(0), "mat2_sym_strides": _strides(1)}

SAVED: dict[str, dict] = {
    "AddBackward0": _ALPHA,
    "SubBackward0": _ALPHA,
    "MulBackward0": {"self": _input(0, _needs(1)), "other": _input(1, _needs(0))},
    "DivBackward0": {"self": _input(0, _needs(1)), "other": _OTHER},
    "DivBackward1": {"other": _attr(lambda a: a)},
    "PowBackward0": {"self": _SELF, "exponent": _attr(lambda a: a)},
    "PowBackward1": {"self": _SELF, "exponent": _OTHER, **_RESULT},
    "ExpBackward0": _RESULT,
    "TanhBackward0": _RESULT,
    "SigmoidBackward0": _RESULT,
    "ReluBackward0": _RESULT,
    "SqrtBackward0": _RESULT,
    "RsqrtBackward0": _RESULT,
    "LogBackward0": _UNARY_SELF,
    "SinBackward0": _UNARY_SELF,
    "CosBackward0": _UNARY_SELF,
    "AbsBackward0": _UNARY_SELF,
    "NegBackward0": {},
    "SumBackward0": {"self_sym_sizes": _reduce_sizes},
    "SumBackward1": {"self_sym_sizes": _reduce_sizes, "dim": _attr(lambda a: _dims(a[1])),
                     "keepdim": _attr(lambda a: bool(a[2]))},
    "MeanBackward0": {"self_sym_sizes": _reduce_sizes,
                      "self_sym_numel": _attr(lambda a: _numel(a[0]))},
    "MeanBackward1": {"self_sym_sizes": _reduce_sizes, "dim": _attr(lambda a: _dims(a[1])),
                      "keepdim": _attr(lambda a: bool(a[2])),
                      "self_sym_numel": _attr(lambda a: _numel(a[0]))},
    "ViewBackward0": {"self_sym_sizes": _attr(tuple)},
    "ExpandBackward0": {"self_sym_sizes": _attr(tuple)},
    "SoftmaxBackward0": {"dim": _attr(int), **_RESULT},
    "LogSoftmaxBackward0": {"dim": _attr(int), **_RESULT},
    "ClampBackward1": {"self": _SELF, "min": _attr(lambda a: a[0]), "max": _attr(lambda a: a[1])},
    "ClampBackward0": {"self": _SELF, "min": _OTHER, "max": _input(2)},
    "ClampMinBackward1": {"self": _SELF, "min": _OTHER},
    "ClampMaxBackward1": {"self": _SELF, "max": _OTHER},
    "MaxBackward1": {"self": _SELF, **_RESULT},
    "MinBackward1": {"self": _SELF, **_RESULT},
    "CumsumBackward0": {"dim": _attr(int)},
    "LeakyReluBackward0": {"self": _SELF, "negative_slope": _attr(float)},
    "ThresholdBackward0": {"self": _SELF, "threshold": _attr(lambda a: a[0])},
    "ThresholdBackward1": {"self": _SELF, "threshold": _attr(lambda a: a[0])},
    "GeluBackward0": {"self": _SELF, "approximate": _attr(str)},
    "MmBackward0": _MM,
    "BmmBackward0": {"self": _input(0, _needs(1)), "mat2": _input(1, _needs(0))},
    "MaximumBackward0": {"self": _SELF, "other": _OTHER},
    "MinimumBackward0": {"self": _SELF, "other": _OTHER},
    "Atan2Backward0": {"self": _SELF, "other": _OTHER},
    "TBackward0": {},
    "CloneBackward0": {},
}


def saved_names(node) -> tuple[str, ...]:
    """The ``_saved_*`` attribute names of ``node`` (empty where none are listed)."""
    return tuple(_PREFIX + k for k in SAVED.get(node.name(), ()))


def _raw(get):
    return property(lambda node: SavedTensor(node, get))


def saved_tensor_names(node) -> tuple[str, ...] | None:
    """The PyTorch names (``self``, ``other``, ``result``...) of the tensors ``node`` keeps,
    or None where ``SAVED`` does not list the node."""
    table = SAVED.get(node.name())
    return None if table is None else tuple(k for k, get in table.items() if hasattr(get, "slot"))


def _save_order(table):
    """``order(node)``: the input slots a node keeps, as PyTorch's generated nodes keep them
    (sorted by argument name: MulBackward0 packs ``other`` before ``self``), leaving out those
    PyTorch did not save (no grad needed them); None where that is every slot in input order."""
    slots = sorted((name, get) for name, get in table.items()
                   if getattr(get, "slot", None) is not None)
    if [get.slot for _, get in slots] == list(range(len(slots))) and all(
            get.when is None for _, get in slots):
        return None
    return lambda node: [get.slot for _, get in slots if get.when is None or get.when(node)]


def _give(key, row, old) -> None:
    # properties on each row's generated node class: lookups of other names stay C-speed
    if row is not None and row.name in SAVED:
        for name, get in SAVED[row.name].items():
            setattr(row.cls, _PREFIX + name, property(get))
            if hasattr(get, "slot"):
                setattr(row.cls, "_raw" + _PREFIX + name, _raw(get))
        order = _save_order(SAVED[row.name])
        if order is not None:
            SAVE_ORDER[row.name] = order


watch(_give)
