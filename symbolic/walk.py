"""A ``CallTrace`` from a live graph, walking ``output.grad_fn.next_functions`` -- for graphs built
without a ``CallTraceRecorder`` attached.

Limitation (why ``CallTraceRecorder`` is the complete route): a node keeps its inputs only when its op
saves them (mul, pow, mm, ...). A constant operand of an op that saves nothing (``y_hat - Y``,
``x + 1``) is gone, so such graphs raise ``NotRecoverable``. Values of intermediate tensors are
recomputed from the leaves with the symbolic rules in float64.
"""

from __future__ import annotations

import numpy as np

import engine
from engine.node import FREED, AccumulateGrad
from engine.tensor import Tensor

from .graph import Evaluator, Graph, Leaf, Node, Ref, topo_order
from .node_rec import op_key
from .record import CallTrace, Target
from .rules import NUM


class NotRecoverable(Exception):
    pass


def _inputs(node):
    """[(kind, payload)] per input: ("fn", (fn, nr)) / ("leaf", tensor) / ("value", x)."""
    name = node.name()
    if getattr(type(node), "_forward_cls", None) is not None:
        raise NotRecoverable(f"{name}: custom Functions need the CallTraceRecorder (their forward is "
                             "replayed when the node is created)")
    op = node.op
    if op.save_inputs:
        if node._saved is FREED:
            raise NotRecoverable(f"{name}: saved tensors were freed (backward already ran)")
        out = []
        for x in node._saved:
            if isinstance(x, Tensor) and x.grad_fn is not None:
                out.append(("fn", (x.grad_fn, x._out_nr)))
            elif isinstance(x, Tensor):
                out.append(("leaf", x))
            else:
                out.append(("value", x))
        return out
    out = []
    for fn, nr in node.next_functions:
        if fn is None:
            raise NotRecoverable(f"{name}: a constant operand is not kept by the engine for this "
                                 "op; record the script with symbolic.CallTraceRecorder instead")
        out.append(("leaf", fn.variable) if type(fn) is AccumulateGrad else ("fn", (fn, nr)))
    return out


def trace_output(output: Tensor, run_engine: bool = True) -> CallTrace:
    """The ``CallTrace`` of ``output`` (scalar, or summed) w.r.t. the leaves that require grad.
    With ``run_engine``, the engine's grads come from ``autograd.grad(retain_graph=True)``."""
    if output.grad_fn is None:
        raise NotRecoverable("the output has no grad_fn (nothing to differentiate)")
    cache: dict = {}

    def ins(n):
        if n not in cache:
            cache[n] = _inputs(n)
        return cache[n]

    order = topo_order(lambda n: [p[0] for k, p in ins(n) if k == "fn"], [output.grad_fn])
    idx = {n: i for i, n in enumerate(order)}
    leaves: list[Leaf] = []
    leaf_idx: dict[int, int] = {}
    leaf_objs = []

    def ref(kind, payload):
        if kind == "fn":
            return Ref("node", idx[payload[0]], payload[1])
        if kind == "leaf":
            i = leaf_idx.get(id(payload))
            if i is None:
                i = leaf_idx[id(payload)] = len(leaves)
                leaves.append(Leaf(f"leaf{i}", np.array(payload._data), payload.requires_grad))
                leaf_objs.append(payload)
            return Ref("leaf", i)
        return Ref("scalar", value=payload)

    graph = Graph(leaves, [])
    ev = Evaluator(graph, NUM, lambda i: np.asarray(leaves[i].value, np.float64))
    for n in order:
        key = op_key(n.op) or n.name()
        node = Node(key, n.name(), n._attrs, tuple(ref(k, p) for k, p in ins(n)), (None,))
        graph.nodes.append(node)
        shape = (n._out[0].shape if n._out is not None else
                 output.shape if n is output.grad_fn else None)
        if shape is None:
            try:  # most rules don't need the output shape
                from . import rules

                args = tuple(ev.value(r) for r in node.inputs)
                res = rules.RULES[key](NUM, tuple(NUM.arr(a) if isinstance(a, np.ndarray)
                                                  else a for a in args), node.attrs, None)
                shape = np.shape(res)
            except Exception as exc:
                raise NotRecoverable(f"{n.name()}: its output shape is not kept ({exc})") from None
        node.out_values = (np.zeros(shape, dtype=output._data.dtype),)
        node.out_values = (np.asarray(ev.value(Ref("node", len(graph.nodes) - 1)),
                                      output._data.dtype),)

    targets = [Target(f"leaf{i}", tuple(t._data.shape), t._data.dtype, leaf=i)
               for i, t in enumerate(leaf_objs) if t.requires_grad]
    names = _names(leaf_objs)
    for i, leaf in enumerate(leaves):
        leaf.name = names[i]
    for tg in targets:
        tg.name = leaves[tg.leaf].name
    seed = np.ones(output._data.shape, dtype=output._data.dtype)
    call = CallTrace(0, "grad", None, graph, (Ref("node", idx[output.grad_fn], output._out_nr),),
                     (seed,), False, targets, done=True)
    if run_engine and targets:
        wanted = [leaf_objs[t.leaf] for t in targets]
        grads = engine.autograd.grad(output, wanted, grad_outputs=engine.tensor(seed),
                                     retain_graph=True, allow_unused=True)
        for ti, g in enumerate(grads):
            if g is not None:
                call.engine[ti] = np.array(g._data)
    return call


def _names(tensors):
    from .record import _identifier, _names_in_frames

    found = _names_in_frames({id(t) for t in tensors})
    out, used = [], set()
    for i, t in enumerate(tensors):
        path = found.get(id(t))
        base = name = _identifier("_".join(p for p in path if p) if path else f"leaf{i}")
        k = 1
        while name in used:
            name, k = f"{base}{k}", k + 1
        used.add(name)
        out.append(name)
    return out
