"""Record what the check needs as an ``engine.observe`` observer: every node with copies of its
input values (at creation time: later in-place changes and optimiser steps don't leak in), and,
at each ``backward()``/``autograd.grad()``, a ``CallTrace`` of the graph behind the roots that
is plain data (checkable later, on any thread, after the engine graph was freed).

Records are keyed weakly by the engine node, so graphs the script drops are forgotten with it.
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from dataclasses import dataclass, field

import numpy as np

from engine import observe
from engine.node import AccumulateGrad
from engine.ops import OPS
from engine.tensor import Tensor

from .custom import capture
from .graph import Graph, Leaf, Node, Ref, topo_order
from .node_rec import SKIP_DIRS, copy_value
from .node_rec import make_rec as _make_node_rec


class Unrecorded(Exception):
    pass


@dataclass
class Target:
    """What a gradient is taken with respect to: a leaf, or a non-leaf ``inputs=`` tensor
    (``cut``: its (node index, out_nr), whose value then stands as independent symbols)."""

    name: str
    shape: tuple
    dtype: np.dtype
    leaf: int | None = None
    cut: tuple[int, int] | None = None
    # where the script keeps it: (variable, parameter name or None), for re-running the script
    path: tuple[str, str | None] | None = None


@dataclass
class CallTrace:
    index: int
    kind: str  # "backward" or "grad"
    where: tuple[str, int] | None
    graph: Graph
    roots: tuple[Ref, ...]
    seeds: tuple[np.ndarray, ...]
    create_graph: bool
    targets: list[Target]
    engine: dict[int, np.ndarray] = field(default_factory=dict)  # target index -> engine grad
    custom_steps: dict[int, tuple] = field(default_factory=dict)  # node index -> (in, out) grads
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    order: int = 1
    done: bool = False
    seq: int = 0  # how many backward/grad calls (recorded or not) the script made before this one
    # variable names of intermediate tensors: (node index, out_nr) -> name
    names: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        what = "autograd.grad()" if self.kind == "grad" else "backward()"
        at = f" at {os.path.basename(self.where[0])}:{self.where[1]}" if self.where else ""
        nth = {1: "", 2: ", 2nd order", 3: ", 3rd order"}.get(self.order, f", order {self.order}")
        return f"call {self.index + 1}: {what}{at}{nth}"


def make_rec(node, inputs, output, where, replay_custom=True, key_of=None):
    """``node_rec.make_rec`` with custom Functions captured (replayed if ``replay_custom``)."""
    return _make_node_rec(node, inputs, output, where,
                          lambda cls, ins, outs: capture(cls, ins, outs, replay_custom), key_of)


class _Active:
    __slots__ = ("call", "custom", "cut", "keep", "leaf_ids", "names")


class CallTraceRecorder(observe.Observer):
    """The observer. ``calls``: one ``CallTrace`` per backward/grad call (up to ``max_calls``;
    ``skipped`` counts the rest). ``replay_custom``: replay custom Functions' forwards."""

    def __init__(self, max_calls: int = 50, replay_custom: bool = True,
                 max_per_line: int | None = None):
        self.max_calls = max_calls
        self.max_per_line = max_per_line  # calls kept per source line (a training loop's line)
        self._per_line: dict = {}
        self.replay_custom = replay_custom
        self.calls: list[CallTrace] = []
        self.skipped = 0
        self._recs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._origins: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        # id(tensor) -> (weakref, name, path); not a WeakKeyDictionary: Tensor.__eq__ is
        # elementwise
        self._names: dict[int, tuple] = {}
        self._begins = 0  # backward/grad calls seen, recorded or not
        self._active: list[_Active | None] = []
        self.errors: list[str] = []  # our own failures (the script is never interrupted)
        self._keys: dict[int, str] = {}
        self._lock = threading.RLock()

    @property
    def full(self) -> bool:
        """All ``max_calls`` calls are recorded and none is still open: nothing more to see."""
        return len(self.calls) >= self.max_calls and not self._active

    # ---- nodes -------------------------------------------------------------------------------
    def _key(self, op) -> str | None:
        key = self._keys.get(id(op))
        if key is None:
            self._keys = {id(o): k for k, o in OPS.items()}
            key = self._keys.get(id(op))
        return key

    def on_node(self, node, inputs, output, where):
        if len(self.calls) >= self.max_calls:
            return  # no call will be recorded any more: don't pay for copies and replays
        try:
            rec = make_rec(node, inputs, output, where, self.replay_custom, self._key)
        except Exception as exc:  # recording must never break the user's script
            self.errors.append(f"recording {node.name()}: {type(exc).__name__}: {exc}")
            return
        with self._lock:
            self._recs[node] = rec

    # ---- backward calls ------------------------------------------------------------------------
    def on_backward_begin(self, roots, grads, retain_graph, create_graph, inputs):
        with self._lock:
            seq = self._begins
            self._begins += 1
            if len(self.calls) >= self.max_calls:
                self.skipped += 1
                self._active.append(None)
                return
            where = _user_location()
            if self.max_per_line is not None:
                seen = self._per_line.get(where, 0)
                if seen >= self.max_per_line:
                    self.skipped += 1
                    self._active.append(None)
                    return
                self._per_line[where] = seen + 1
            act = _Active()
            act.leaf_ids, act.cut, act.custom, act.keep = {}, {}, {}, []
            kind = "grad" if _called_from_grad() else "backward"
            try:
                call = self._snapshot(act, kind, where, roots, grads, create_graph, inputs)
            except Exception as exc:  # Unrecorded, or a bug of ours: the script goes on
                call = CallTrace(len(self.calls), kind, where, Graph([], []), (), (), create_graph,
                                 [], error=str(exc))
            call.seq = seq
            act.call = call
            self.calls.append(call)
            self._active.append(act)

    def _snapshot(self, act, kind, where, roots, grads, create_graph, inputs):
        recs = self._recs

        def rec_of(n):
            rec = recs.get(n)
            if rec is None:
                raise Unrecorded(f"{n.name()} was created before recording started; "
                                 "run the whole script under the recorder")
            return rec

        root_nodes = [r.grad_fn for r in roots if r.grad_fn is not None]
        order = topo_order(lambda n: [x[1] for x in rec_of(n).inputs if x[0] == "node"],
                           root_nodes)
        node_idx = {n: i for i, n in enumerate(order)}
        leaves: list[Leaf] = []
        leaf_idx: dict[int, int] = {}
        leaf_objs: list = []

        def leaf_ref(t, value, rg):
            i = leaf_idx.get(id(t))
            if i is None:
                i = leaf_idx[id(t)] = len(leaves)
                leaves.append(Leaf("", value, bool(rg)))
                leaf_objs.append(t)
            elif rg:
                leaves[i].requires_grad = True
            return Ref("leaf", i)

        def ref(raw):
            if raw[0] == "node":
                return Ref("node", node_idx[raw[1]], raw[2])
            if raw[0] == "leaf":
                return leaf_ref(*raw[1:])
            return Ref("scalar", value=raw[1])

        nodes = []
        max_order = 0
        for n in order:
            rec = recs[n]
            node = Node(rec.key, rec.name, rec.attrs, tuple(ref(x) for x in rec.inputs),
                        rec.outs, rec.where, rec.custom)
            origin = self._origins.get(n)
            if origin:
                node.origin = dict(origin)
                max_order = max(max_order, *(c.order for c, _ in origin.values()))
            if rec.custom is not None:
                act.custom[n] = len(nodes)
            nodes.append(node)

        root_refs = []
        for r in roots:
            if r.grad_fn is not None:
                root_refs.append(Ref("node", node_idx[r.grad_fn], r._out_nr))
            else:
                root_refs.append(leaf_ref(r, np.array(r._data, copy=True), r._rg))
        seeds = tuple(np.array(g._data if isinstance(g, Tensor) else g, copy=True) for g in grads)

        targets: list[Target] = []
        target_tensors = list(inputs) if inputs is not None else [
            t for t, leaf in zip(leaf_objs, leaves, strict=False) if leaf.requires_grad]
        for t in target_tensors:
            ti = len(targets)
            shape, dtype = tuple(t._data.shape), t._data.dtype
            if t.grad_fn is None:
                r = leaf_ref(t, np.array(t._data, copy=True), t._rg)
                targets.append(Target("", shape, dtype, leaf=r.index))
                act.leaf_ids[id(t)] = ti
            elif t.grad_fn in node_idx:
                targets.append(Target("", shape, dtype, cut=(node_idx[t.grad_fn], t._out_nr)))
                act.cut.setdefault(t.grad_fn, []).append((t._out_nr, ti))
            else:
                continue
            act.keep.append(t)
        if inputs is not None:  # leaves that are not differentiated are constants here
            wanted = {tg.leaf for tg in targets if tg.leaf is not None}
            for i, leaf in enumerate(leaves):
                leaf.requires_grad = i in wanted

        names = self._names_for(leaf_objs + [t for t in act.keep if t.grad_fn is not None])
        for leaf, t in zip(leaves, leaf_objs, strict=False):
            leaf.name = names[id(t)]
        for tg, t in zip(targets, act.keep, strict=False):
            tg.name = names[id(t)]
            tg.path = self._path_of(t)
        call_names = _intermediate_names(node_idx)
        graph = Graph(leaves, nodes)
        return CallTrace(len(self.calls), kind, where, graph, tuple(root_refs), seeds,
                         bool(create_graph), targets, order=max_order + 1, names=call_names)

    def on_backward_step(self, node, grads_in, grads_out):
        try:
            self._step(node, grads_in, grads_out)
        except Exception as exc:
            self.errors.append(f"backward step {node.name()}: {type(exc).__name__}: {exc}")

    def _step(self, node, grads_in, grads_out):
        act = self._active[-1] if self._active else None
        if act is None:
            return
        call = act.call
        if type(node) is AccumulateGrad:
            ti = act.leaf_ids.get(id(node.variable))
            if ti is not None and grads_in and grads_in[0] is not None:
                self._engine_grad(call, ti, grads_in[0])
            return
        for nr, ti in act.cut.get(node, ()):
            if nr < len(grads_in) and grads_in[nr] is not None:
                self._engine_grad(call, ti, grads_in[nr])
        idx = act.custom.get(node)
        if idx is not None:
            call.custom_steps[idx] = (tuple(copy_value(g) for g in grads_in),
                                      tuple(copy_value(g) for g in grads_out))

    def _engine_grad(self, call, ti, g):
        value = np.array(g._data, copy=True)
        prev = call.engine.get(ti)
        call.engine[ti] = value if prev is None else prev + value
        if call.create_graph and g.grad_fn is not None:
            with self._lock:
                self._origins.setdefault(g.grad_fn, {})[g._out_nr] = (call, ti)

    def on_hook(self, tensor, hook, grad, result):
        act = self._active[-1] if self._active else None
        if act is None or result is None:
            return
        name = self._name_of(tensor) if tensor is not None else None
        act.call.notes.append(f"a hook on {name or 'a tensor'} replaced its grad during this call")

    def on_backward_end(self, error=None):
        act = self._active.pop() if self._active else None
        if act is None:
            return
        act.call.done = True
        if error is not None:
            act.call.error = f"{type(error).__name__}: {error}"

    # ---- names -----------------------------------------------------------------------------------
    def _names_for(self, tensors) -> dict[int, str]:
        """Variable names, stable per tensor across calls, unique within this call."""
        missing = [t for t in tensors if self._name_of(t) is None]
        if missing:
            found = _names_in_frames({id(t) for t in missing})
            for t in missing:
                path = found.get(id(t))
                name = _identifier("_".join(p for p in path if p) if path else "leaf")
                self._names[id(t)] = (weakref.ref(t, self._forget_name(id(t))), name, path)
        out, used = {}, set()
        for t in tensors:
            if id(t) in out:
                continue
            base = name = self._name_of(t)
            k = 1
            while name in used:
                name = f"{base}{k}"
                k += 1
            used.add(name)
            out[id(t)] = name
        return out

    def _name_of(self, t) -> str | None:
        entry = self._names.get(id(t))
        return entry[1] if entry is not None and entry[0]() is t else None

    def _path_of(self, t):
        entry = self._names.get(id(t))
        return entry[2] if entry is not None and entry[0]() is t else None

    def _forget_name(self, key):
        def forget(_ref, names=self._names):
            entry = names.get(key)
            if entry is not None and entry[0]() is None:
                names.pop(key, None)

        return forget


def _identifier(name: str) -> str:
    out = "".join(ch if ch.isalnum() else "_" for ch in name).strip("_") or "leaf"
    return out if not out[0].isdigit() else "t" + out


def _user_frames():
    frame = sys._getframe(1)
    while frame is not None:
        fn = frame.f_code.co_filename
        if not fn.startswith(SKIP_DIRS) and "threading" not in fn and "desktop" + os.sep not in fn:
            yield frame
        frame = frame.f_back


def _user_location():
    for frame in _user_frames():
        return frame.f_code.co_filename, frame.f_lineno
    return None


def _called_from_grad() -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "grad" and frame.f_code.co_filename.endswith(
                "autograd_engine.py"):
            return True
        frame = frame.f_back
    return False


def _intermediate_names(node_idx) -> dict[tuple[int, int], str]:
    """Names of the graph's non-leaf tensors as the script's variables hold them now (at the
    backward call: ``Z``, ``H``, ``loss``), keyed by (node index, out_nr); the innermost frame
    wins, and a name is used once."""
    out: dict[tuple[int, int], str] = {}
    used: set[str] = set()
    for frame in _user_frames():
        for space in (frame.f_locals, frame.f_globals):
            for var, value in list(space.items()):
                if var.startswith("_") or var in used or not isinstance(value, Tensor):
                    continue
                fn = value.grad_fn
                if fn is None:
                    continue
                i = node_idx.get(fn)
                if i is not None and (i, value._out_nr) not in out:
                    out[(i, value._out_nr)] = var
                    used.add(var)
    return out


def _names_in_frames(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    """Where the tensors are in the user's frames (locals first, then globals): (variable,
    None), or (variable, parameter name) for parameters of objects with ``named_parameters``
    (modules: named ``model_fc1_weight``)."""
    found: dict[int, tuple[str, str | None]] = {}
    for frame in _user_frames():
        for space in (frame.f_locals, frame.f_globals):
            for var, value in list(space.items()):
                if var.startswith("__"):
                    continue
                if isinstance(value, Tensor):
                    if id(value) in ids and id(value) not in found:
                        found[id(value)] = (var, None)
                elif hasattr(value, "named_parameters") and not isinstance(value, type):
                    try:
                        params = list(value.named_parameters())
                    except Exception:  # a user object with an unrelated method of that name
                        continue
                    for pname, p in params:
                        if id(p) in ids and id(p) not in found:
                            found[id(p)] = (var, pname)
            if len(found) == len(ids):
                return found
    return found
