"""The op table itself: the ``Op`` row (one per differentiable primitive: its PyTorch node name,
its numpy forward and its VJP), ``OPS``, ``register``/``unregister`` and ``watch``. The rows are
registered by the family modules beside this one (``engine.ops``).

Each VJP is written once against a math namespace ``m``: ``ns.NP`` (numpy arrays, the plain
backward) or ``tensor_ns.T`` (engine Tensors, ``create_graph=True``, so a backward is itself
recorded and can be differentiated again). Signature: ``vjp(m, g, out, s, a, need)`` where ``g`` is
the incoming grad, ``out`` the saved output (or None), ``s`` the saved inputs
(arrays/Tensors/Python scalars), ``a`` the op's attributes and ``need[i]`` tells whether input i
wants a grad.

An elementwise row (``kind`` "unary" or "binary") is the op's whole home: ``sym`` is its forward
written against the symbolic namespace protocol (``sym(ns, x)`` / ``sym(ns, x, y)`` calling
``ns.log``, ``ns.exp``, ... and arithmetic; ``symbolic`` runs it on sympy and float64 arrays and
derives the matrix form from it), and ``names`` are the public names the engine binds from the
row through the dispatcher: ``torch.<name>``, ``Tensor.<name>`` and the in-place
``Tensor.<name>_``. Another row's ``fwd`` is ``fwd(*arrays, *params) -> (out, attrs)`` (the
input tensors' arrays, the op's checked arguments; a tuple of arrays for several outputs) and
its ``sym``, if any, takes symbolic's full rule arguments ``(ns, args, attrs, out_shape)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..node import node_class


@dataclass(frozen=True, slots=True)
class Op:
    name: str  # PyTorch's node name, e.g. "MulBackward0"
    fwd: Callable | None  # numpy forward (None where it is still written in a forward family)
    vjp: Callable
    save_inputs: bool = False
    save_out: bool = False
    doc: str = ""
    cls: type | None = field(default=None, compare=False)  # the generated grad_fn class
    sym: Callable | None = field(default=None, compare=False)  # the forward on ns.SYM / ns.NUM
    kind: str = ""  # "unary" / "binary" for an elementwise row
    names: tuple[str, ...] = ()  # torch.<name>, Tensor.<name>, Tensor.<name>_ bound from the row


OPS: dict[str, Op] = {}
_ELEMENTWISE = ("unary", "binary")
_watchers: list[Callable] = []


def register(key: str, name: str, fwd, vjp, *, save_inputs=False, save_out=False, doc="",
             sym=None, kind="", names=()) -> Op:
    """Add a row (also used by engine.nn.functional for fused ops such as cross-entropy)."""
    if kind not in ("", *_ELEMENTWISE):
        raise ValueError(f"op row {key!r}: kind must be 'unary' or 'binary', not {kind!r}")
    if names and (not kind or fwd is None):
        raise ValueError(f"op row {key!r}: only an elementwise row with a forward can be bound "
                         "to public names")
    op = Op(name, fwd, vjp, save_inputs, save_out, doc, sym=sym, kind=kind, names=tuple(names))
    object.__setattr__(op, "cls", node_class(name, op))
    old = OPS.get(key)
    OPS[key] = op
    for fn in _watchers:
        fn(key, op, old)
    return op


def unregister(key: str) -> Op:
    """Remove row ``key`` (and, through the watchers, the names bound from it)."""
    op = OPS.pop(key)
    for fn in _watchers:
        fn(key, None, op)
    return op


def watch(fn) -> None:
    """Call ``fn(key, new_row, old_row)`` for every row registered or removed from now on
    (``new_row`` None: removed), and now for every row already registered."""
    _watchers.append(fn)
    for key, op in list(OPS.items()):
        fn(key, op, None)


def is_elementwise(op: Op) -> bool:
    return op.kind in _ELEMENTWISE


def pair(need, f0, f1):
    """The grads of a two-input op's inputs, each computed only if ``need`` asks for it."""
    return (f0() if need[0] else None, f1() if need[1] else None)
