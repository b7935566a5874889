"""Record the autograd graph a script builds, as an ``engine.observe.Observer`` (no Qt).

The per-op callback (``on_node``) only stores references (a weak one to the node, its constant
inputs, the array of a small output) in a bounded dict keyed by ``id(node)``; everything costly
(names, numpy copies, walking ``next_functions``) happens in ``snapshot()``. A record is dropped
by its weakref callback when the node dies, before the id can be reused.

Which nodes a snapshot shows: the graphs reachable from tensors bound in the script's
namespace, from the roots of the last backward call, and every node created since that backward
began that is still alive. So a training loop shows its last iteration's graph, not a thousand
copies of it, and ``print((a * 2).sum())`` leaves no node behind (as in PyTorch, that graph is
gone). Leaves that require grad and are bound to a name always appear, used or not.

Node ids: ``id(grad_fn)`` for op nodes; for a leaf that requires grad, ``id(tensor)`` (so all
AccumulateGrad objects of one leaf, and the leaf before any op used it, are the same node); for a
constant input, ``id(tensor)``.

A run sends its thread's engine events here with ``attach`` (``engine.observe``'s routes,
re-exported).
"""

from __future__ import annotations

import ast
import linecache
import sys
import weakref

import numpy as np

from desktop.graph_groups import COLLAPSE_ABOVE, OpInfo, find_groups
from desktop.model import GraphEdge, GraphNode, GraphSnapshot, NodeKind
from desktop.tensors import (
    SMALL,
    namespace_tensors,
    node_name,
    small_numpy,
    tensor_type,
    to_numpy,
)
from engine.node import saved_output
from engine.observe import Observer, attach, detach  # noqa: F401  (the run's routes)
from engine.saved_values import saved_tensor_names

MAX_NODES = 10_000  # snapshot cap (the view draws big graphs as collapsed groups)
MAX_RECORDS = 30_000  # records kept; the oldest third goes when exceeded
MAX_EVENTS = 5000  # accumulations / hook calls kept for the debugger and inspector
POINT_TRIES = 3  # backward calls without a (w, b) point before the trail stops being looked for


class NodeRecord(weakref.ref):
    """What we know about one node, as a weak reference to it: a graph the script drops (a
    past training iteration) is freed as usual and its record goes with it."""

    __slots__ = ("consts", "grad_in", "grads_out", "key", "line", "modules", "out", "seq", "shape")
    # consts: tensor inputs that don't require grad (shown as LEAF_CONST nodes)
    # out: the output's values (numpy, not copied) when small; shape: the output's shape
    # grad_in / grads_out: grads that arrived at / left the node in the last backward
    # modules: ((module, call number), ...) of the nn.Module calls running, outermost first


class Recorder(Observer):
    """Observer that records nodes, backward grads, frees, accumulations and hook calls.

    ``filename``: the script's code filename; only lines in it are kept as user lines.
    It takes the backward grads as the engine holds them (``raw_grads``): it only keeps them,
    and ``snapshot`` copies those of the graph it shows.
    """

    raw_grads = True

    def __init__(self, filename: str = "<stepgrad>", ttype=None):
        self.filename = filename
        self.ttype = ttype or tensor_type()
        self.records: dict[int, NodeRecord] = {}
        self._dead = _forgetter(self)  # one callback for every record
        self.seq = 0  # counts nodes created; see mark()/created_since()
        self.backward_values: list[float] = []
        self.accumulations: list[tuple[int, object]] = []  # (leaf id, total grad)
        self.hook_calls: list[tuple[int, str]] = []  # (tensor id, hook name)
        self.retained: list[int] = []  # ids of non-leaf tensors that stored a grad
        self.backward_calls = 0
        # (w, b) of the script at each backward() call, when it has one-element w and b: the
        # path a training loop took, drawn on the loss landscape
        self.point_trail: list[tuple[float, float]] = []
        self._point_misses = 0
        self.dropped = 0  # records evicted (a long run); for the snapshot's note
        self._backward_seq = 0  # seq when the last backward began
        self._last_roots: tuple = ()
        self._functions: tuple = (None, {})  # (source, {line: innermost def's name})
        self.modules: tuple = ()  # the nn.Module calls running now (see module_enter)
        self._module_calls = 0
        _install_module_hooks(self)

    def function_lines(self) -> dict[int, str]:
        """{line: (kind, name) of the innermost ``def`` holding it} in the script (methods as
        ``Class.method``; kind "call" when the def has no loop, else "function"): which of
        the script's functions made a node."""
        source = "".join(linecache.getlines(self.filename))
        if self._functions[0] != source:
            self._functions = (source, _function_lines(source))
        return self._functions[1]

    # --- observer callbacks (hot path: keep them lean) ---
    def on_node(self, node, inputs, output, where):
        try:
            rec = NodeRecord(node, self._dead)
        except TypeError:  # a node type without weakref support: not shown with details
            return
        rec.key = key = id(node)
        ttype, consts = self.ttype, ()
        for t in inputs:  # a loop, not a generator: this runs once per op of the script
            # an op's result requires grad, so this is a tensor without grad_fn as well
            if isinstance(t, ttype) and not t.requires_grad:
                consts += (t,)
        rec.consts = consts
        out = output[0] if output.__class__ is tuple else output
        data = getattr(out, "_data", None)  # the engine's numpy array: no copy on the hot path
        if data is not None:
            rec.shape = data.shape
            rec.out = data if data.size <= 10_000 else None
        else:
            rec.shape = tuple(getattr(out, "shape", ()))
            rec.out = None
        rec.line = where[1] if where is not None and where[0] == self.filename else None
        rec.modules = self.modules
        rec.seq = self.seq = self.seq + 1
        rec.grad_in = rec.grads_out = None
        records = self.records
        records[key] = rec
        if len(records) > MAX_RECORDS:
            self._evict()

    def module_enter(self, module) -> None:
        """An ``nn.Module`` call began on the script's thread (a global forward pre-hook)."""
        self._module_calls += 1
        self.modules = (*self.modules, (module, self._module_calls))

    def module_exit(self, module) -> None:
        """That call ended (normally or by an exception)."""
        stack = self.modules
        for k in range(len(stack) - 1, -1, -1):
            if stack[k][0] is module:
                self.modules = stack[:k]
                return

    def forget(self, rec):
        """Drop ``rec``, the record of a node that died (its weakref callback)."""
        if self.records.get(rec.key) is rec:
            self.records.pop(rec.key, None)

    def on_backward_begin(self, roots, grads, retain_graph, create_graph, inputs):
        self.backward_calls += 1
        self._backward_seq = self.seq
        self._last_roots = tuple(roots)
        for root in roots:
            data = getattr(root, "_data", None)  # the engine's array; else any tensor API
            data = to_numpy(root) if data is None else data
            if data is not None and data.size == 1:  # the loss curve plots scalar roots only
                self.backward_values.append(float(data.item()))
        if len(self.point_trail) < MAX_EVENTS and self._point_misses < POINT_TRIES:
            point = self._script_point()
            if point is not None:
                self.point_trail.append(point)
            elif not self.point_trail:
                # a script whose first backward calls had no one-element w and b has no trail:
                # looking for one walks the stack at every step of a long training loop
                self._point_misses += 1

    def _script_point(self) -> tuple[float, float] | None:
        frame = sys._getframe(2)
        while frame is not None and frame.f_code.co_filename != self.filename:
            frame = frame.f_back
        if frame is None:
            return None
        values = []
        for name in ("w", "b"):
            t = frame.f_locals.get(name, frame.f_globals.get(name))
            data = getattr(t, "_data", None)
            if data is None or data.size != 1:
                return None
            values.append(float(data.reshape(-1)[0]))
        return values[0], values[1]

    def on_backward_step(self, node, grads_in, grads_out):
        rec = self.records.get(id(node))
        if rec is not None:
            rec.grad_in = grads_in[0] if grads_in else None
            rec.grads_out = tuple(grads_out)

    def on_accumulate(self, tensor, grad, total):
        accumulations = self.accumulations
        if len(accumulations) < MAX_EVENTS:
            data = getattr(total, "_data", None)  # the engine's array: copied as small_numpy does
            if type(data) is np.ndarray and data.size <= SMALL:
                accumulations.append((id(tensor), data.copy()))
            else:
                accumulations.append((id(tensor), small_numpy(total)))

    def on_hook(self, tensor, hook, grad, result):
        if len(self.hook_calls) < MAX_EVENTS:
            self.hook_calls.append((id(tensor), getattr(hook, "__name__", repr(hook))))

    def on_retain_grad(self, tensor, grad):
        if len(self.retained) < MAX_EVENTS:
            self.retained.append(id(tensor))

    def _evict(self):
        keys = list(self.records)[: len(self.records) // 3]
        for key in keys:
            self.records.pop(key, None)  # a weakref callback may have dropped it already
        self.dropped += len(keys)

    # --- for the debugger: which nodes did a step create? ---
    def mark(self) -> int:
        return self.seq

    def created_since(self, mark: int) -> frozenset[int]:
        return frozenset(k for k, r in list(self.records.items()) if r.seq > mark)

    def graph_starts(self) -> tuple[list, list]:
        """Where a snapshot's walk starts besides the namespace's tensors: the nodes of the last
        backward call's roots, and every node created since that call began that is alive."""
        roots = [getattr(r, "grad_fn", None) for r in self._last_roots]
        since = self._backward_seq
        recent = [r() for r in list(self.records.values()) if r.seq > since]
        return [fn for fn in roots if fn is not None], [fn for fn in recent if fn is not None]

    # --- snapshot (GUI-facing; may be slow-ish, runs once per run or debugger stop) ---
    def snapshot(self, namespace: dict | None = None, highlight=frozenset(),
                 max_nodes: int = MAX_NODES) -> GraphSnapshot:
        return _Snapshotter(self, namespace or {}, max_nodes).build(frozenset(highlight))

    def snapshot_node(self, namespace: dict, fn) -> GraphNode:
        """One node built exactly as ``snapshot`` builds it: the leaf of an AccumulateGrad
        node, else the op node (the debugger's incremental backward stops)."""
        return _Snapshotter(self, namespace, MAX_NODES).node(fn)


class RunRecorder(Recorder):
    """The recorder of a run (plain or debugged): the graph, the loss values and the (w, b)
    trail, without the accumulation, hook and retain_grad lists, which no view reads (the
    debugger's backward stepper keeps its own). Not overriding those callbacks, it gets none:
    a training loop accumulates into every parameter at every step."""

    on_accumulate = Observer.on_accumulate
    on_hook = Observer.on_hook
    on_retain_grad = Observer.on_retain_grad


def _forgetter(recorder):
    """The records' weakref callback. It holds the recorder weakly: a bound method would make
    recorder -> record -> callback -> recorder a cycle, and a finished run's whole graph would
    wait for the GUI thread's collector instead of going when its last reference does."""
    ref = weakref.ref(recorder)

    def dead(rec):
        me = ref()
        if me is not None:
            me.forget(rec)

    return dead


def _size(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


class _Snapshotter:
    def __init__(self, rec: Recorder, namespace: dict, max_nodes: int):
        self.rec = rec
        self.namespace = namespace
        self.max_nodes = max_nodes
        self.names: dict[int, str] = {}  # id(tensor) -> name
        self.fn_names: dict[int, str] = {}  # id(grad_fn) -> name of a tensor it produced
        self.leaves: list = []  # namespace leaves that require grad
        self.nodes: dict[int, GraphNode] = {}
        self.edges: list[GraphEdge] = []
        self.capped = False
        self.namespace_fns = []
        self.saved_clones: set[int] = set()  # ids of CloneBackward0 nodes a walked node saved
        for name, t in namespace_tensors(namespace, rec.ttype):
            self.names.setdefault(id(t), name)
            fn = t.grad_fn
            if fn is not None:
                self.fn_names.setdefault(id(fn), name)
                self.namespace_fns.append(fn)
            elif t.requires_grad:
                self.leaves.append(t)

    def build(self, highlight: frozenset[int]) -> GraphSnapshot:
        rec = self.rec
        roots, recent = rec.graph_starts()
        for leaf in self.leaves:
            self._leaf(leaf)
        self._walk([*self.namespace_fns, *roots, *(fn for fn in recent if not _is_clone(fn))])
        # The clone an in-place op saved of its input (ATen's, for _saved_self) is alive but
        # no backward from the script's tensors runs it: drawn only when nothing saved it
        self._walk([fn for fn in recent if _is_clone(fn) and id(fn) not in self.saved_clones])
        groups = self._groups() if len(self.nodes) > COLLAPSE_ABOVE else ()
        notes = []
        if self.capped:
            notes.append(f"graph capped at {self.max_nodes} nodes")
        if rec.dropped:
            notes.append(f"details of {rec.dropped} older nodes were dropped")
        return GraphSnapshot(tuple(self.nodes.values()), tuple(self.edges), "; ".join(notes),
                             highlight, groups)

    def _groups(self) -> tuple:
        records, functions = self.rec.records, self.rec.function_lines()
        names = self._module_names()
        ops = []
        for key, node in self.nodes.items():
            r = records.get(key)
            if r is None or node.kind not in (NodeKind.OP, NodeKind.CUSTOM):
                continue
            fn = functions.get(r.line)
            path = tuple(("module", _module_title(m, names), call) for m, call in r.modules)
            if fn is not None and not (path and fn[1].endswith(".forward")):
                path += (fn,)  # a module's own forward is its box already
            ops.append((r.seq, OpInfo(key, r.line, node.op, path)))
        ops.sort(key=lambda t: t[0])
        consts = [k for k, n in self.nodes.items() if n.kind == NodeKind.LEAF_CONST]
        return find_groups([o for _, o in ops], [(e.src, e.dst) for e in self.edges], consts)

    def _module_names(self) -> dict[int, str]:
        """{id(module): attribute path} of the modules bound in the namespace (``model.0``)."""
        names: dict[int, str] = {}
        for name, value in list(self.namespace.items()):
            named = getattr(value, "named_modules", None)
            if named is None or name.startswith("_") or isinstance(value, type):
                continue
            try:
                for sub, module in named(prefix=name):
                    names.setdefault(id(module), sub)
            except Exception:  # a user's odd object: no names from it
                continue
        return names

    def _full(self) -> bool:
        if len(self.nodes) >= self.max_nodes:
            self.capped = True
            return True
        return False

    def _leaf(self, t) -> int:
        key = id(t)
        if key not in self.nodes and not self._full():
            self.nodes[key] = GraphNode(
                id=key, kind=NodeKind.LEAF_GRAD, op="AccumulateGrad",
                label=self.names.get(key, ""), shape=tuple(t.shape), line=None,
                value=small_numpy(t), grad=small_numpy(t.grad))
        return key

    def _const(self, t) -> int:
        key = id(t)
        if key not in self.nodes and not self._full():
            self.nodes[key] = GraphNode(
                id=key, kind=NodeKind.LEAF_CONST, op="const", label=self.names.get(key, ""),
                shape=tuple(t.shape), line=None, value=small_numpy(t))
        return key

    def _walk(self, starts):
        stack = list(starts)
        while stack:
            fn = stack.pop()
            key = id(fn)
            if key in self.nodes or self._full():
                continue
            self.nodes[key] = self._op_node(fn)
            saved = getattr(fn, "_saved", ())
            if saved.__class__ is tuple:
                for t in saved:
                    g = getattr(t, "grad_fn", None)
                    if g is not None and _is_clone(g):
                        self.saved_clones.add(id(g))
            rec = self.rec.records.get(key)
            grads_out = rec.grads_out if rec is not None else None
            for i, (nxt, _) in enumerate(getattr(fn, "next_functions", ())):
                if nxt is None:
                    continue
                var = getattr(nxt, "variable", None)
                if var is not None:
                    src = self._leaf(var)
                else:
                    src = id(nxt)
                    stack.append(nxt)
                grad = grads_out[i] if grads_out is not None and i < len(grads_out) else None
                self.edges.append(GraphEdge(src, key, small_numpy(grad)))
            if rec is not None:
                for t in rec.consts:
                    self.edges.append(GraphEdge(self._const(t), key))
        # Edges to nodes cut off by the cap would dangle: drop them.
        self.edges = [e for e in self.edges if e.src in self.nodes and e.dst in self.nodes]

    def node(self, fn) -> GraphNode:
        var = getattr(fn, "variable", None)
        return self.nodes[self._leaf(var)] if var is not None else self._op_node(fn)

    def _op_node(self, fn) -> GraphNode:
        key = id(fn)
        rec = self.rec.records.get(key)
        return GraphNode(
            id=key,
            kind=NodeKind.CUSTOM if _is_custom(fn) else NodeKind.OP,
            op=node_name(fn),
            label=self.fn_names.get(key, ""),
            shape=rec.shape if rec is not None else (),
            line=rec.line if rec is not None else None,
            freed=_freed(fn),
            value=small_numpy(rec.out) if rec is not None else None,
            grad=small_numpy(rec.grad_in) if rec is not None else None,
            saved=_saved(fn),
        )


def _module_title(module, names: dict[int, str]) -> str:
    kind = type(module).__name__
    name = names.get(id(module))
    return f"{name} ({kind})" if name else kind


def _function_lines(source: str) -> dict[int, tuple[str, str]]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    spans = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                loops = any(isinstance(n, (ast.For, ast.While, ast.AsyncFor, ast.comprehension))
                            for n in ast.walk(child))
                spans.append((child.lineno, child.end_lineno or child.lineno,
                              ("function" if loops else "call", name)))
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    out: dict[int, tuple[str, str]] = {}
    for start, end, name in spans:  # outer defs first: inner ones overwrite their lines
        for line in range(start + 1, end + 1):
            out[line] = name
    return out


def _recorders_of(obs) -> list:
    """The Recorders behind an observer: the debugger's stepper and the app's symbolic tee
    wrap one."""
    for _ in range(3):
        if obs is None or isinstance(obs, Recorder):
            return [] if obs is None else [obs]
        obs = getattr(obs, "recorder", None) or getattr(obs, "primary", None)
    return []


def _this_threads_recorders() -> list:
    from engine import observe

    hub = observe.current
    if hub is None:
        return []
    targets = hub.targets() if hasattr(hub, "targets") else (hub,)
    return [r for obs in targets for r in _recorders_of(obs)]


def _module_pre_hook(module, args):
    for rec in _this_threads_recorders():
        rec.module_enter(module)


def _module_hook(module, args, output):
    for rec in _this_threads_recorders():
        rec.module_exit(module)


_module_hooks: list = []  # the two global nn.Module hook handles while a Recorder lives
_live = [0]  # Recorders alive


def _install_module_hooks(recorder) -> None:
    """Which nn.Module made a node: global forward hooks, installed while any Recorder lives
    (every module call then pays two Python calls; none before a Recorder exists)."""
    _live[0] += 1
    weakref.finalize(recorder, _remove_module_hooks)
    if _module_hooks:
        return
    try:
        from engine.nn.module_hooks import (
            register_module_forward_hook,
            register_module_forward_pre_hook,
        )
    except ImportError:
        return
    _module_hooks.append(register_module_forward_pre_hook(_module_pre_hook))
    _module_hooks.append(register_module_forward_hook(_module_hook, always_call=True))


def _remove_module_hooks() -> None:
    _live[0] -= 1
    if _live[0] <= 0:
        while _module_hooks:
            _module_hooks.pop().remove()


def _is_custom(fn) -> bool:
    # PyTorch's (and the engine's) nodes of user autograd.Functions know their Function class.
    return getattr(fn, "_forward_cls", None) is not None


def _is_clone(fn) -> bool:
    return type(fn).__name__ == "CloneBackward0"


def _freed(fn) -> bool:
    # the engine's nodes know (so the recorder takes no on_free event: one per node of every
    # backward pass)
    return getattr(fn, "freed", None) is True


def _describe(value) -> str:
    shape = getattr(value, "shape", None)
    return str(tuple(shape)) if shape is not None else repr(value)[:40]


_MISSING = object()


def _saved_value(fn, name):
    try:
        return getattr(fn, "_saved_" + name)
    except RuntimeError:  # changed in place since: the backward would say so, not the label
        return None


def _saved(fn) -> tuple[str, ...]:
    """Short descriptions of what the node saved for backward: the engine keeps saved inputs
    in ``_saved`` and gives a saved output by ``engine.node.saved_output``, named as PyTorch
    names them where ``engine.saved_values`` lists the node; PyTorch itself exposes
    ``_saved_<name>``."""
    saved = getattr(fn, "_saved", _MISSING)
    if saved is not _MISSING:  # the engine: a tuple, or a marker once freed

        if not isinstance(saved, tuple):
            return ()
        names = saved_tensor_names(fn)
        if names is not None:  # PyTorch's names, and only what PyTorch would keep
            return tuple(f"{name}: {_describe(v)}" for name in names
                         if (v := _saved_value(fn, name)) is not None)
        out = [f"input {i}: {_describe(v)}" for i, v in enumerate(saved)]
        output = saved_output(fn)
        if output is not None:
            out.append(f"output: {_describe(output)}")
        return tuple(out)
    out = []
    for attr in dir(fn):
        if attr.startswith("_saved_") and not attr.endswith("_raw"):
            try:
                value = getattr(fn, attr)
            except Exception:  # PyTorch raises once the saved tensors were freed
                continue
            out.append(f"{attr[7:]}: {_describe(value)}")
    return tuple(out)
