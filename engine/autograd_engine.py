"""The one backward implementation. ``backward_steps`` is a generator that runs one node per
step; ``backward()``, ``autograd.grad()`` and the debugger's step-by-step backward all drive it.

Scheduling follows PyTorch: dependency counts over the graph reachable from the roots, and a ready
queue ordered by sequence number (most recent node first; leaf accumulation runs as soon as it is
ready). Saved tensors are released as each node finishes unless ``retain_graph``.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass

import numpy as np

from . import observe
from .grad_mode import mode as _mode
from .node import FREED, AccumulateGrad, accumulate_node
from .ns import NP, T
from .tensor import Tensor, _wrap

FREED_ERROR = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


@dataclass(frozen=True)
class BackwardStep:
    """One executed node: grads that arrived (per output) and grads it sent (per next_function)."""

    node: object
    grads_in: tuple
    grads_out: tuple


def _modified_error(t, expected, node):
    fn = t.grad_fn
    shape = ", ".join(str(n) for n in t._data.shape)
    what = f"[torch.{t.dtype.tensor_type} [{shape}]]"
    if fn is not None:
        op = re.sub(r"Backward\d*$", "", fn.name())
        what += f", which is output {t._out_nr} of {op},"
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {what} is at version {t._version[0]}; expected version {expected} instead. "
        "Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
        "with torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )


def unpack_saved(node, create_graph, wrap=False):
    """The saved inputs and output of ``node`` as the VJP wants them (raising PyTorch's errors)."""
    saved = node._saved
    if saved is FREED:
        raise RuntimeError(FREED_ERROR)
    if node._versions is not None:
        for t, v in zip(saved, node._versions):
            if v is not None and t._version[0] != v:
                raise _modified_error(t, v, node)
    out = node._out
    if out is not None:
        arr, version, v = out
        if version[0] != v:
            t = _wrap(arr)
            t._version, t.grad_fn = version, node
            raise _modified_error(t, v, node)
        if create_graph or wrap:
            o = _wrap(arr, True)
            o.grad_fn, o._version = node, version
            out = o
        else:
            out = arr
    if create_graph or wrap:
        return saved, out
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
    obs = observe.current
    for hook in list(hooks.values()):
        t = _as_tensor(g)
        r = hook(t)
        if obs is not None:
            obs.on_hook(tensor, hook, t, r)
        if r is not None:
            g = r if create_graph else r._data
    return g


def _add(a, b):
    if a is None:
        return b
    return a + b


def _seed(root, grad, i):
    shape = root._data.shape
    if grad is None:
        if root._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        return np.ones(shape, dtype=root._data.dtype)
    g = grad._data if isinstance(grad, Tensor) else np.asarray(grad, dtype=root._data.dtype)
    if g.shape != shape:
        raise RuntimeError(
            f"Mismatch in shape: grad_output[{i}] has a shape of torch.Size({list(g.shape)}) and "
            f"output[{i}] has a shape of torch.Size({list(shape)})."
        )
    return grad if isinstance(grad, Tensor) else _wrap(g)


def _dependencies(roots):
    deps = {}
    stack = list(roots)
    seen = set(roots)
    while stack:
        node = stack.pop()
        for fn, _ in node.next_functions:
            if fn is not None:
                deps[fn] = deps.get(fn, 0) + 1
                if fn not in seen:
                    seen.add(fn)
                    stack.append(fn)
    return deps, seen


def _needed(nodes, targets):
    """Nodes from which some target is reachable: only those run when ``inputs`` is given."""
    memo = {}
    for start in nodes:
        if start in memo:
            continue
        stack = [(start, iter(start.next_functions))]
        path = {start}
        memo.setdefault(start, start in targets)
        while stack:
            node, it = stack[-1]
            for fn, _ in it:
                if fn is None:
                    continue
                if fn in memo:
                    if memo[fn]:
                        memo[node] = True
                    continue
                if fn in path:
                    continue
                memo[fn] = fn in targets
                path.add(fn)
                stack.append((fn, iter(fn.next_functions)))
                break
            else:
                stack.pop()
                path.discard(node)
                if stack and memo[node]:
                    memo[stack[-1][0]] = True
    return {n for n, v in memo.items() if v}


def backward_steps(roots, grads=None, retain_graph=None, create_graph=False, inputs=None,
                   accumulate=True):
    """Run backward from ``roots`` one node per ``next()``, yielding a ``BackwardStep`` each time.

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

    obs = observe.current
    if obs is not None:
        obs.on_backward_begin(roots, seeds, retain_graph, create_graph, inputs)
    m = T if create_graph else NP

    # where to capture grads for `inputs`: {node: [(input index, output_nr)]}
    capture = {}
    inputs = tuple(inputs) if inputs is not None else None
    if inputs is not None:
        for k, t in enumerate(inputs):
            if not t._rg:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            node = t.grad_fn if t.grad_fn is not None else accumulate_node(t)
            capture.setdefault(node, []).append((k, t._out_nr))
    results = [None] * (len(inputs) if inputs is not None else 0)

    deps, reachable = _dependencies(set(root_nodes))
    needed = _needed(reachable, set(capture)) if inputs is not None else None
    buffers = {}
    for node, r, s in zip(root_nodes, roots, seeds):
        buf = buffers.setdefault(node, {})
        s = s if create_graph else s._data
        buf[r._out_nr] = _add(buf.get(r._out_nr), s)
    ready = [(-n._seq, id(n), n) for n in buffers if deps.get(n, 0) == 0]
    heapq.heapify(ready)

    prev_mode = _mode.enabled
    try:
        while ready:
            _, _, node = heapq.heappop(ready)
            buf = buffers.pop(node, None) or {}
            if type(node) is AccumulateGrad:
                g = buf.get(0)
                if g is not None:
                    _accumulate_leaf(node, g, create_graph, capture, results, accumulate,
                                     inputs is not None)
                step = BackwardStep(node, (g,), ())
            else:
                step = _run_node(node, buf, m, create_graph, retain_graph, capture, results,
                                 needed, buffers, deps, ready, inputs is not None and not accumulate)
            if obs is not None:
                obs.on_backward_step(step.node, tuple(_obs(g) for g in step.grads_in),
                                     tuple(_obs(g) for g in step.grads_out))
            yield step
    except BaseException as e:
        _mode.enabled = prev_mode
        if obs is not None:
            obs.on_backward_end(e)
        raise
    _mode.enabled = prev_mode
    if obs is not None:
        obs.on_backward_end(None)
    return tuple(results)


def _obs(g):
    return None if g is None else _as_tensor(g)


def _run_node(node, buf, m, create_graph, retain_graph, capture, results, needed, buffers, deps,
              ready, grad_only):
    n_out = len(node._out_meta) if node._out_meta is not None else 1
    grads_in = [buf.get(i) for i in range(n_out)]
    if node._pre_hooks:
        for nr, hooks in node._pre_hooks.items():
            if grads_in[nr] is not None and hooks:
                t = node._retain.get(nr)() if node._retain and node._retain.get(nr) else None
                grads_in[nr] = _call_hooks(hooks, grads_in[nr], create_graph, t)
    if node._retain and not grad_only:
        for nr, ref in node._retain.items():
            t = ref()
            if t is not None and grads_in[nr] is not None:
                _store_retained(t, grads_in[nr], create_graph)
    if node in capture:
        for k, nr in capture[node]:
            results[k] = _add(results[k], grads_in[nr])

    nexts = node.next_functions
    if needed is not None and node not in needed or all(g is None for g in grads_in):
        grads_out = (None,) * len(nexts)
    else:
        _mode.enabled = create_graph
        grads_out = node_apply(node, grads_in, m, create_graph)
        if not retain_graph:
            _release(node)
    for (fn, nr), g in zip(nexts, grads_out):
        if fn is None:
            continue
        if g is not None and (needed is None or fn in needed):
            b = buffers.setdefault(fn, {})
            b[nr] = _add(b.get(nr), g)
        left = deps[fn] - 1
        deps[fn] = left
        if left == 0:  # even without a grad: running it releases its children's counts
            heapq.heappush(ready, (-fn._seq, id(fn), fn))
    return BackwardStep(node, tuple(grads_in), tuple(grads_out))


def node_apply(node, grads_in, m, create_graph):
    """Grads for each of ``node.next_functions`` given the grads of its outputs."""
    custom = getattr(node, "_apply_custom", None)
    if custom is not None:
        return custom(grads_in, create_graph)
    saved, out = unpack_saved(node, create_graph)
    need = tuple(fn is not None for fn, _ in node.next_functions)
    return node.op.vjp(m, grads_in[0], out, saved, node._attrs, need)


def _accumulate_leaf(node, g, create_graph, capture, results, accumulate, only_inputs):
    v = node.variable
    if v._hooks:
        g = _call_hooks(v._hooks, g, create_graph, v)
    if node in capture:
        for k, _ in capture[node]:
            results[k] = _add(results[k], g)
    if not accumulate:
        return
    if only_inputs and node not in capture:
        return
    _accumulate_into(v, g, create_graph)


def _accumulate_into(v, g, create_graph):
    dt = v._data.dtype
    if create_graph:
        g = _as_tensor(g)
        if g._data.dtype != dt:
            g = g.to(v.dtype)
        if g._data.shape != v._data.shape:
            g = g.expand(v._data.shape) if g._data.ndim <= v._data.ndim else g
        v._grad = g if v._grad is None else v._grad + g
    else:
        g = np.asarray(g)
        if v._grad is None:
            # copy: the array may be shared with other grads or the caller's gradient
            v._grad = _wrap(np.array(np.broadcast_to(g, v._data.shape), dtype=dt))
        elif v._grad._rg:
            v._grad = v._grad.detach() + _wrap(g.astype(dt, copy=False))
        else:
            v._grad._data += g
            v._grad._version[0] += 1
    obs = observe.current
    if obs is not None:
        obs.on_accumulate(v, _as_tensor(g), v._grad)


def _store_retained(t, g, create_graph):
    if create_graph:
        g = _as_tensor(g)
        t._grad = g if t._grad is None else t._grad + g
    else:
        t._grad = _wrap(np.array(g, dtype=t._data.dtype)) if t._grad is None else _wrap(
            t._grad._data + g)
    obs = observe.current
    if obs is not None:
        obs.on_retain_grad(t, t._grad)


def _drain(gen):
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        return stop.value


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
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
                         accumulate=True)
    results = _drain(gen)
    if inputs is not None:  # non-leaf inputs get their .grad too, as in PyTorch
        for t, g in zip(inputs, results):
            if t.grad_fn is not None and g is not None:
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
    for t in inputs_t:
        if not isinstance(t, Tensor):
            raise TypeError("grad(): argument 'inputs' must be tuple of Tensors")
    gen = backward_steps(outputs, grad_outputs, retain_graph, create_graph, inputs_t,
                         accumulate=False)
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
        if isinstance(g, Tensor):
            if g._data.dtype != t._data.dtype:
                g = g.to(t.dtype)
            out.append(g)
        else:
            out.append(_wrap(np.array(g, dtype=t._data.dtype)))
    return tuple(out)
