"""The one backward implementation. ``backward_steps`` is a generator that runs one node per
step; ``backward()``, ``autograd.grad()`` and the debugger's step-by-step backward all drive it.

Scheduling follows PyTorch: dependency counts over the graph reachable from the roots, and a ready
queue ordered by sequence number (most recent node first; leaf accumulation runs as soon as it is
ready). Saved tensors are released as each node finishes unless ``retain_graph``.
"""

from __future__ import annotations

import heapq
import itertools
import re
import sys
import threading
from collections import deque
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from . import observe
from .grad_mode import mode as _mode
from .grad_mode import set_grad_enabled
from .functions import stack
from .node import FREED, NODE_POST, NODE_PRE, AccumulateGrad, Node, accumulate_node
from .ns import NP
from .tensor import Tensor, _wrap
from .tensor_ns import T
from .warn_once import warn_once

FREED_ERROR = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


class BackwardStep(NamedTuple):
    """One executed node: grads that arrived (per output) and grads it sent (per next_function)."""

    node: object
    grads_in: Sequence
    grads_out: Sequence


def _modified_error(t, expected, node):
    fn = t.grad_fn
    shape = ", ".join(str(n) for n in t._data.shape)
    what = f"[torch.{t.dtype.tensor_type} [{shape}]]"
    if fn is not None:
        op = re.sub(r"Backward0?", "", fn.name())  # PyTorch's ProdBackward1 is "Prod1"
        what += f", which is output {t._out_nr} of {op},"
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {what} is at version {t._vc[0]}; expected version {expected} instead. "
        "Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
        "with torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )


_NEED1 = (True,)


def _step(values, _new=tuple.__new__):
    return _new(BackwardStep, values)


def unpack_saved(node, create_graph, wrap=False):
    """The saved inputs and output of ``node`` as the VJP wants them (raising PyTorch's errors)."""
    saved = node._saved
    if not saved and node._out is None:
        return (), None
    if saved is FREED:
        raise RuntimeError(FREED_ERROR)
    versions = node._versions
    if versions is not None:
        if len(versions) == 1:
            if versions[0] is not None and saved[0]._vc[0] != versions[0]:
                raise _modified_error(saved[0], versions[0], node)
        else:
            for t, v in zip(saved, versions):
                if v is not None and t._vc[0] != v:
                    raise _modified_error(t, v, node)
    out = node._out
    if out is not None:
        arr, version, v = out
        if version[0] != v:
            t = _wrap(arr)
            t._vc, t.grad_fn = version, node
            raise _modified_error(t, v, node)
        if create_graph or wrap:
            o = _wrap(arr, True)
            o.grad_fn, o._vc = node, version
            out = o
        else:
            out = arr
    if create_graph or wrap or not saved:
        return saved, out
    if len(saved) == 2:
        a, b = saved
        return (a._data if isinstance(a, Tensor) else a,
                b._data if isinstance(b, Tensor) else b), out
    return tuple(t._data if isinstance(t, Tensor) else t for t in saved), out


def _release(node):
    if node._saved or node._out is not None:
        node._saved = FREED
        node._out = None
        obs = observe.current
        if obs is not None:
            obs.on_free(node)


def _as_tensor(g):
    return g if isinstance(g, Tensor) else _wrap(np.asarray(g))


def _call_hooks(hooks, g, create_graph, tensor):
    """Tensor hooks in registration order; each sees the previous one's result. As in PyTorch a
    hook is called with None where its tensor got no grad (e.g. a Function returned None)."""
    obs = observe.current
    for hook in list(hooks.values()):
        t = None if g is None else _as_tensor(g)
        with set_grad_enabled(create_graph):  # hooks see PyTorch's grad mode during backward
            r = hook(t)
        if obs is not None:
            obs.on_hook(tensor, hook, t, r)
        if r is not None:
            if not isinstance(r, Tensor):
                raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'")
            g = r if create_graph else r._data
    return g


def _call_node_hooks(hooks, args, grads, create_graph):
    """Node hooks see tuples of Tensors (None where no grad); a hook that returns a tuple
    replaces ``grads``, the first of ``args``, for the hooks after it and for the node."""
    as_list = isinstance(grads, list)
    for hook in list(hooks.values()):
        wrapped = tuple(tuple(None if g is None else _as_tensor(g) for g in a) for a in args)
        with set_grad_enabled(create_graph):
            r = hook(*wrapped)
        if r is None:
            continue
        r = tuple(r)
        if len(r) != len(grads):
            name = getattr(hook, "__name__", type(hook).__name__)
            raise RuntimeError(f"hook '{name}' has returned an incorrect number of values "
                               f"(got {len(r)}, but expected {len(grads)})")
        grads = tuple(None if x is None else x if create_graph else x._data for x in r)
        args = (grads, *args[1:])
    return list(grads) if as_list else grads


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _seed(root, grad, i):
    shape = root._data.shape
    if grad is None:
        if root._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        one = np.empty(shape, dtype=root._data.dtype)
        one.fill(1)  # np.ones costs three times as much for this one element
        return one
    g = grad._data if isinstance(grad, Tensor) else np.asarray(grad, dtype=root._data.dtype)
    if g.shape != shape:
        raise RuntimeError(
            f"Mismatch in shape: grad_output[{i}] has a shape of torch.Size({list(g.shape)}) and "
            f"output[{i}] has a shape of torch.Size({list(shape)})."
        )
    return grad if isinstance(grad, Tensor) else _wrap(g)


def _dependencies(roots):
    """How many edges reach each node from ``roots`` (a set; each root is walked once even when
    another root also reaches it)."""
    deps = {}
    get = deps.get
    stack = list(roots)
    while stack:
        node = stack.pop()
        for fn, _ in node.next_functions:
            if fn is not None:
                c = get(fn)
                if c is None:
                    deps[fn] = 1
                    if fn not in roots:
                        stack.append(fn)
                else:
                    deps[fn] = c + 1
    return deps


def _capture_only(capture, needed):
    """Targets of ``inputs`` past which nothing is needed: their hooks run and their grad is
    captured, but (as in PyTorch) the node itself is not executed."""
    return {n for n in capture
            if not any(fn is not None and fn in needed for fn, _ in n.next_functions)}


def _dependencies_needed(roots, targets):
    """``_dependencies`` and, in the same walk, the nodes from which some of ``targets`` is
    reachable (only those run when ``inputs`` is given): a depth-first walk that marks a node
    needed when it is a target or when a child it reaches is needed. Third: whether every node
    walked is needed."""
    deps = {}
    get = deps.get
    needed = set()
    mark = needed.add
    visited = set()
    seen = visited.add
    for root in roots:
        if root in visited:
            continue
        seen(root)
        stack = [(root, iter(root.next_functions))]
        while stack:
            node, it = stack[-1]
            for fn, _ in it:
                if fn is None:
                    continue
                c = get(fn)
                deps[fn] = 1 if c is None else c + 1
                if fn in visited:  # finished (a graph has no cycles): its mark is final
                    if fn in needed:
                        mark(node)
                    continue
                seen(fn)
                stack.append((fn, iter(fn.next_functions)))
                break
            else:
                stack.pop()
                if node in needed or node in targets:
                    mark(node)
                    if stack:
                        mark(stack[-1][0])
    return deps, needed, len(needed) == len(visited)


class _Tasks(threading.local):
    stack = ()  # the running backward calls of this thread, innermost last


_tasks = _Tasks()
_task_ids = itertools.count()


class GraphTask(NamedTuple):
    """What a running backward call will execute (read by hooks through
    ``current_graph_task_id`` and ``will_engine_execute_node``)."""

    id: int
    roots: frozenset
    deps: dict
    needed: set | None
    capture: dict


def current_graph_task_id() -> int:
    """The id of the innermost backward running in this thread, -1 outside backward."""
    stack = _tasks.stack
    return stack[-1].id if stack else -1


def will_engine_execute_node(node) -> bool:
    """Whether the running backward will execute ``node`` or call its tensor hooks."""
    stack = _tasks.stack
    if not stack:
        raise RuntimeError("_will_engine_execute_node should only be called during the backward "
                           "pass")
    task = stack[-1]
    if node not in task.deps and node not in task.roots:
        return False
    return task.needed is None or node in task.needed or node in task.capture


_CREATE_GRAPH_CYCLE = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter "
    "and its gradient which can cause a memory leak. We recommend using autograd.grad when "
    "creating the graph to avoid this. If you have to use this function, make sure to reset the "
    ".grad fields of your parameters to None after use to break the cycle and avoid the leak.")


def backward_steps(roots, grads=None, retain_graph=None, create_graph=False, inputs=None,
                   accumulate=True, steps=True):
    """Run backward from ``roots`` one node per ``next()``, yielding a ``BackwardStep`` each time.
    With ``steps=False`` (a caller that only drains it) nothing is yielded and the whole backward
    runs at the first ``next()``: no step tuple and no generator switch per node.

    With ``inputs``, only nodes leading to them run; with ``accumulate=False`` (``autograd.grad``)
    nothing is written to ``.grad`` and the generator's return value is the tuple of grads for
    ``inputs`` (None where an input was not reached).
    """
    if retain_graph is None:
        retain_graph = create_graph
    roots = tuple(roots)
    grads = (None,) * len(roots) if grads is None else tuple(grads)
    if len(grads) != len(roots):
        raise RuntimeError(f"got {len(grads)} tensors and {len(roots)} gradients")
    seeds = []
    for i, (r, g) in enumerate(zip(roots, grads)):
        if not r._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                               "grad_fn")
        seeds.append(_seed(r, g, i))
    root_nodes = [r.grad_fn if r.grad_fn is not None else accumulate_node(r) for r in roots]
    if create_graph and accumulate:
        warn_once("create_graph_cycle", _CREATE_GRAPH_CYCLE, stacklevel=3)

    obs = observe.current
    on_step = on_free = None
    if obs is not None:
        obs.on_backward_begin(roots, seeds, retain_graph, create_graph, inputs)
        on_step, on_free = observe.backward_sinks(obs)
    m = T if create_graph else NP

    # where to capture grads for `inputs`: {node: [(input index, output_nr)]}
    capture = {}
    inputs = tuple(inputs) if inputs is not None else None
    if inputs is not None:
        for k, t in enumerate(inputs):
            if not isinstance(t, Tensor):  # a GradientEdge: (node, output_nr)
                capture.setdefault(t[0], []).append((k, t[1]))
                continue
            if not t._rg:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            node = t.grad_fn if t.grad_fn is not None else accumulate_node(t)
            capture.setdefault(node, []).append((k, t._out_nr))
    results = [None] * (len(inputs) if inputs is not None else 0)

    root_set = set(root_nodes)
    every = True
    if inputs is None:
        deps, needed = _dependencies(root_set), None
    else:
        deps, needed, every = _dependencies_needed(root_set, capture)
    capture_only = _capture_only(capture, needed) if capture else ()
    task = GraphTask(next(_task_ids), frozenset(root_set), deps, needed, capture)
    # grads waiting at each node: the grad itself for single-output nodes (every built-in op),
    # {output_nr: grad} for custom Functions (their _out_meta is set)
    buffers = {}
    for node, r, s in zip(root_nodes, roots, seeds):
        s = _as_tensor(s) if create_graph else (s._data if isinstance(s, Tensor) else s)
        _buffer_add(buffers, node, r._out_nr, s)
    # ties (every AccumulateGrad shares one priority) go first-pushed-first, as in PyTorch:
    # a node's leaves are accumulated in its next_functions order
    tick = itertools.count().__next__
    if len(buffers) == 1:
        ready = [(-n._seq, tick(), n) for n in buffers]  # one root: nothing reaches it
    else:
        ready = [(-n._seq, tick(), n) for n in buffers if deps.get(n, 0) == 0]
        heapq.heapify(ready)
    grad_only = inputs is not None and not accumulate
    only_inputs = inputs is not None

    prev_mode = _mode.enabled
    # no per-node bookkeeping beyond the VJP itself: nothing captured, or (autograd.grad of
    # leaves, the common case) only leaves captured and every node leading to one of them
    fast = every and (not capture or all(type(n) is AccumulateGrad for n in capture))
    pop, push, get, bpop = heapq.heappop, heapq.heappush, buffers.get, buffers.pop
    acc_type, new_step = AccumulateGrad, tuple.__new__
    outer_tasks = _tasks.stack
    _tasks.stack = (*outer_tasks, task)
    want_step = steps or on_step is not None
    try:
        # a node that became ready while the queue was empty is the next one popped anyway:
        # it is held in `nxt` instead (a chain of ops then never touches the heap)
        nxt = None
        while nxt is not None or ready:
            # drop the previous step's references so a grad array nobody else holds can be
            # recognised (by its reference count) and kept by the leaf without a copy
            step = grads_out = g = prev = None
            if nxt is not None:
                node, nxt = nxt, None
            else:
                node = pop(ready)[2]
            buf = bpop(node, None)
            if create_graph:
                _mode.enabled = True  # the VJPs' own ops are recorded; restored before yield
            if type(node) is acc_type:
                if buf is not None or (_leaf_has_hooks(node) and (needed is None
                                                                  or node in needed)):
                    _accumulate_leaf(node, buf, create_graph, capture, results, accumulate,
                                     only_inputs)
                if want_step:
                    step = new_step(BackwardStep, (node, (buf,), ()))
            elif ((fast or (node in needed and node not in capture)) and node._out_meta is None
                  and not node._pre_hooks and not node._retain):
                # the common case, inlined: a built-in op with one output and no hooks (with
                # `inputs`: one that leads to them, and whose grad is not captured)
                nexts = node.next_functions
                if buf is None:
                    grads_out = (None,) * len(nexts)
                else:
                    n_next = len(nexts)
                    if not fast:  # only the inputs that lead to a target get a grad
                        need = tuple(fn is not None and fn in needed for fn, _ in nexts)
                    elif n_next == 2:
                        need = (nexts[0][0] is not None, nexts[1][0] is not None)
                    else:
                        need = _NEED1 if n_next == 1 else _need(nexts)
                    saved = node._saved
                    if saved or node._out is not None:
                        saved, out = unpack_saved(node, create_graph)
                        grads_out = node.op.vjp(m, buf, out, saved, node._attrs, need)
                        if not retain_graph:
                            node._saved = FREED
                            node._out = None
                            if on_free is not None:
                                on_free(node)
                    else:
                        grads_out = node.op.vjp(m, buf, None, saved, node._attrs, need)
                    if not fast and False in need:  # a VJP may compute more than asked
                        grads_out = tuple(g if n else None for g, n in zip(grads_out, need))
                for (fn, nr), g in zip(nexts, grads_out):
                    if fn is None:
                        continue
                    if g is not None:
                        if fn._out_meta is None:
                            prev = get(fn)
                            buffers[fn] = g if prev is None else prev + g
                        else:
                            _buffer_add(buffers, fn, nr, g)
                    left = deps[fn] - 1
                    deps[fn] = left
                    if not left:
                        if nxt is None and not ready:
                            nxt = fn
                        else:
                            if nxt is not None:  # pushed first: ties keep their order
                                push(ready, (-nxt._seq, tick(), nxt))
                                nxt = None
                            push(ready, (-fn._seq, tick(), fn))
                if want_step:
                    step = new_step(BackwardStep, (node, (buf,), grads_out))
            else:
                step = _run_node(node, buf, m, create_graph, retain_graph, capture, results,
                                 needed, buffers, deps, ready, grad_only, tick, capture_only)
            if on_step is not None:
                on_step(node, step[1], step[2])
            if create_graph:
                _mode.enabled = prev_mode
            if steps:
                yield step
    except BaseException as e:
        _mode.enabled = prev_mode
        _tasks.stack = outer_tasks
        if obs is not None:
            obs.on_backward_end(e)
        raise
    _mode.enabled = prev_mode
    _tasks.stack = outer_tasks
    if obs is not None:
        obs.on_backward_end(None)
    return tuple(results)


def _need(nexts):
    if len(nexts) == 1:
        return _NEED1
    if len(nexts) == 2:
        return (nexts[0][0] is not None, nexts[1][0] is not None)
    return tuple(fn is not None for fn, _ in nexts)


def _buffer_add(buffers, fn, nr, g):
    if fn._out_meta is None:
        prev = buffers.get(fn)
        buffers[fn] = g if prev is None else prev + g
    else:
        b = buffers.setdefault(fn, {})
        prev = b.get(nr)
        b[nr] = g if prev is None else prev + g


def _run_node(node, buf, m, create_graph, retain_graph, capture, results, needed, buffers, deps,
              ready, grad_only, tick, capture_only=()):
    if node._out_meta is None:
        grads_in = [buf]
    else:
        buf = buf or {}
        grads_in = [buf.get(i) for i in range(len(node._out_meta))]
    nexts = node.next_functions
    executes = (needed is None or node in needed) and node not in capture_only
    if (executes or node in capture) and (node._pre_hooks or node._retain or capture):
        _before_node(node, grads_in, create_graph, capture, results, grad_only)
    if not executes:
        grads_out = (None,) * len(nexts)
    else:
        # hooks run even when no grad arrived (they see None), as PyTorch's do; the op itself
        # only runs with some grad, except a custom Function, whose backward gets zeros
        node_hooks = node._pre_hooks
        if node_hooks and NODE_PRE in node_hooks:
            grads_in = _call_node_hooks(node_hooks[NODE_PRE], (grads_in,), grads_in,
                                        create_graph)
        if node._apply_custom is not None or any(g is not None for g in grads_in):
            grads_out = node_apply(node, grads_in, m, create_graph)
            if not retain_graph and (node._saved or node._out is not None):
                _release(node)
        else:
            grads_out = (None,) * len(nexts)
        if node_hooks and NODE_POST in node_hooks:
            grads_out = _call_node_hooks(node_hooks[NODE_POST], (grads_out, grads_in),
                                         grads_out, create_graph)
    push = heapq.heappush
    for (fn, nr), g in zip(nexts, grads_out):
        if fn is None:
            continue
        if g is not None and (needed is None or fn in needed):
            _buffer_add(buffers, fn, nr, g)
        left = deps[fn] - 1
        deps[fn] = left
        if left == 0:  # even without a grad: running it releases its children's counts
            push(ready, (-fn._seq, tick(), fn))
    return _step((node, grads_in, grads_out))


def _before_node(node, grads_in, create_graph, capture, results, grad_only):
    """Tensor hooks, retain_grad and autograd.grad capture for a non-leaf node's outputs."""
    if node._pre_hooks:
        for nr, hooks in node._pre_hooks.items():
            if nr >= 0 and hooks:
                ref = node._retain.get(nr) if node._retain else None
                grads_in[nr] = _call_hooks(hooks, grads_in[nr], create_graph,
                                           ref() if ref is not None else None)
    if node._retain:  # autograd.grad fills retained grads too, as PyTorch 2.13 does
        for nr, ref in node._retain.items():
            t = ref()
            if t is not None and grads_in[nr] is not None:
                _store_retained(t, grads_in[nr], create_graph)
    if node in capture:
        for k, nr in capture[node]:
            results[k] = _add(results[k], grads_in[nr])


def call_node(node, grads):
    """``grad_fn(*grads)``: the node's grads for its inputs, computed now (recorded when grad mode
    is on, as PyTorch does): one Tensor for a node with one input, else a tuple (None where an
    input needs no grad)."""
    n = len(node._out_meta) if node._out_meta is not None else 1
    if len(grads) != n:
        raise TypeError(f"expected {n} arguments, got {len(grads)} instead")
    create = _mode.enabled
    grads_in = [None if g is None else (_as_tensor(g) if create else
                                        (g._data if isinstance(g, Tensor) else np.asarray(g)))
                for g in grads]
    out = node_apply(node, grads_in, T if create else NP, create)
    out = tuple(None if g is None else _as_tensor(g) for g in out)
    return out[0] if len(out) == 1 else out


def _node_call(self, *grads):
    return call_node(self, grads)


def _apply_grads(self, grads_in, m):
    """The node's grads for its inputs in namespace ``m`` (``T`` records them: create_graph), for
    a VJP that wraps another node (CopySlices)."""
    return node_apply(self, grads_in, m, m is T)


# nodes are defined below the engine; it gives them their call here (engine.saved_values gives
# them PyTorch's ``_saved_<name>`` accessors)
Node.__call__ = _node_call
Node.apply_grads = _apply_grads


def node_apply(node, grads_in, m, create_graph):
    """Grads for each of ``node.next_functions`` given the grads of its outputs."""
    custom = node._apply_custom
    if custom is not None:
        return custom(grads_in, create_graph)
    saved, out = unpack_saved(node, create_graph)
    nf = node.next_functions
    if len(nf) == 1:
        need = _NEED1
    elif len(nf) == 2:
        need = (nf[0][0] is not None, nf[1][0] is not None)
    else:
        need = tuple(fn is not None for fn, _ in nf)
    if node._out_meta is not None:  # a built-in op with several outputs gets them all
        return node.op.vjp(m, grads_in, out, saved, node._attrs, need)
    return node.op.vjp(m, grads_in[0], out, saved, node._attrs, need)


def _leaf_has_hooks(node) -> bool:
    v = node.variable
    return bool(node._pre_hooks or v._hooks or v._post_acc_hooks)


def _accumulate_leaf(node, g, create_graph, capture, results, accumulate, only_inputs):
    v = node.variable
    may_steal = True
    if v._hooks:
        g = _call_hooks(v._hooks, g, create_graph, v)
        may_steal = False  # a hook may return an array someone else keeps
    if node in capture:
        for k, _ in capture[node]:
            results[k] = _add(results[k], g)
    if not accumulate:
        return
    if only_inputs and node not in capture:
        return
    node_hooks = node._pre_hooks
    if node_hooks and NODE_PRE in node_hooks:
        (g,) = _call_node_hooks(node_hooks[NODE_PRE], ((g,),), (g,), create_graph)
        may_steal = False
    if g is not None:
        _accumulate_into(v, g, create_graph, may_steal)
    post = v._post_acc_hooks
    if post:
        for hook in list(post.values()):
            with set_grad_enabled(create_graph):
                r = hook(v)
            if r is not None:
                raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'")
    if node_hooks and NODE_POST in node_hooks:
        _call_node_hooks(node_hooks[NODE_POST], ((), (g,)), (), create_graph)


# references to a fresh grad array when it reaches _accumulate_into: the generator's `buf`, the
# parameters of _accumulate_leaf and _accumulate_into, the pending argument of _stealable, and
# getrefcount's own argument (tests/engine/test_grad_aliasing.py pins the cases that must copy)
_FRESH_REFS = 5


def _stealable(g, data, refs):
    if refs > _FRESH_REFS or type(g) is not np.ndarray or g.dtype != data.dtype:
        return False
    if g.shape != data.shape or not g.flags.writeable or not g.flags.c_contiguous:
        return False
    base = g.base
    # a view is safe only if its base is referenced by this view alone (e.g. a transpose of a
    # fresh matmul result): g.base, the local `base` and getrefcount's argument make 3
    return base is None or (type(base) is np.ndarray and sys.getrefcount(base) <= 3)


def _accumulate_into(v, g, create_graph, may_steal=False):
    dt = v._data.dtype
    if create_graph:
        g = _as_tensor(g)
        if g._data.dtype != dt:
            g = g.to(v.dtype)
        if g._data.shape != v._data.shape:
            g = g.expand(v._data.shape) if g._data.ndim <= v._data.ndim else g
        if v._grad is None:
            # as PyTorch's AccumulateGrad with grad mode on: a new tensor that copy_ fills
            # (CopyBackwards when g requires grad), never g itself, which may be the caller's.
            # Zeros, not PyTorch's uninitialised memory: a graph view shows that input
            v._grad = _wrap(np.zeros(v._data.shape, dtype=dt)).copy_(g)
        else:
            v._grad = v._grad + g
    else:
        g = np.asarray(g)
        if v._grad is None:
            if may_steal and _stealable(g, v._data, sys.getrefcount(g)):
                v._grad = _wrap(g)  # nobody else holds this array: keep it, as PyTorch does
            else:
                # copy: the array is shared with other grads, a view, or the caller's gradient
                if g.shape != v._data.shape:
                    g = np.broadcast_to(g, v._data.shape)
                v._grad = _wrap(np.array(g, dtype=dt))
        elif v._grad._rg:
            v._grad = v._grad.detach() + _wrap(g.astype(dt, copy=False))
        else:
            v._grad._data += g
            v._grad._vc[0] += 1
    obs = observe.current
    if obs is not None and obs.takes_accumulate:
        obs.on_accumulate(v, g if getattr(obs, "raw_grads", False) else _as_tensor(g), v._grad)


def _store_retained(t, g, create_graph):
    if create_graph:
        g = _as_tensor(g)
        # PyTorch's retain_grad hook stores a clone (CloneBackward0 when g requires grad)
        t._grad = g.clone() if t._grad is None else t._grad + g
    else:
        t._grad = _wrap(np.array(g, dtype=t._data.dtype)) if t._grad is None else _wrap(
            t._grad._data + g)
    obs = observe.current
    if obs is not None:
        obs.on_retain_grad(t, t._grad)


_consume = deque(maxlen=0).extend


def _drain(gen):
    """Run a ``backward_steps`` generator to the end and return its value."""
    try:
        while True:
            gen.send(None)
    except StopIteration as stop:
        return stop.value


def _is_edge(x) -> bool:
    return isinstance(x, tuple) and len(x) >= 2 and hasattr(x, "node")


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, Tensor) or _is_edge(x):
        return (x,)
    return tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """``torch.autograd.backward``: accumulate grads of ``tensors`` into the leaves' ``.grad``."""
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors)
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    gen = backward_steps(tensors, grad_tensors, retain_graph, create_graph, inputs,
                         accumulate=True, steps=False)
    if inputs is None:
        _consume(gen)  # runs the steps in C; the return value is only needed with inputs
        return
    results = _drain(gen)
    if inputs is not None:  # non-leaf inputs get their .grad too, as in PyTorch
        for t, g in zip(inputs, results):
            if isinstance(t, Tensor) and t.grad_fn is not None and g is not None:
                _store_retained(t, g, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """``torch.autograd.grad``: the grads of ``outputs`` w.r.t. ``inputs``, without touching
    ``.grad``."""
    outputs = _as_tuple(outputs)
    inputs_t = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if is_grads_batched:
        return _batched_grad(outputs, inputs_t, grad_outputs, retain_graph, create_graph,
                             allow_unused, materialize_grads)
    for t in inputs_t:
        if not isinstance(t, Tensor) and not _is_edge(t):
            raise TypeError("grad(): argument 'inputs' must be tuple of Tensors")
    gen = backward_steps(outputs, grad_outputs, retain_graph, create_graph, inputs_t,
                         accumulate=False, steps=False)
    results = _drain(gen)
    out = []
    for i, (t, g) in enumerate(zip(inputs_t, results)):
        if g is None:
            if materialize_grads:
                out.append(_wrap(np.zeros_like(t._data)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
            out.append(None)
            continue
        if not isinstance(t, Tensor):  # a GradientEdge: the grad as the node produced it
            out.append(_as_tensor(g))
            continue
        if isinstance(g, Tensor):
            if g._data.dtype != t._data.dtype:
                g = g.to(t.dtype)
            out.append(g)
        else:
            out.append(_wrap(np.array(g, dtype=t._data.dtype)))
    return tuple(out)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads):
    """``grad(is_grads_batched=True)``: the first dimension of each grad_output is a batch; one
    backward per batch entry (PyTorch vectorizes them), stacked."""
    if grad_outputs is None:
        raise RuntimeError("grad_outputs must be provided when is_grads_batched=True")
    sizes = {g.shape[0] if isinstance(g, Tensor) and g.dim() else None for g in grad_outputs}
    if len(sizes) != 1 or None in sizes:
        raise RuntimeError("If `is_grads_batched=True`, every grad_output must be a Tensor with "
                           "the same size in its first dimension (the batch dimension).")
    (n,) = sizes
    if retain_graph is None:
        retain_graph = create_graph
    per_entry = [grad(outputs, inputs, tuple(g[b] for g in grad_outputs),
                      retain_graph=retain_graph or b < n - 1, create_graph=create_graph,
                      allow_unused=True, materialize_grads=materialize_grads)
                 for b in range(n)]
    out = []
    for i, t in enumerate(inputs):
        column = [entry[i] for entry in per_entry]
        if all(g is None for g in column):
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
            out.append(None)
            continue
        column = [g if g is not None else _wrap(np.zeros_like(t._data)) for g in column]
        out.append(stack(column, 0) if create_graph else
                   _wrap(np.stack([g._data for g in column])))
    return tuple(out)
