"""Backward node by node: an engine observer that records what each backward step did and, when
the user stepped into the backward pass, blocks the worker thread after each node (no Qt).

The engine calls ``on_backward_step`` right after a node ran (its accumulations, hook calls,
retain_grad stores and frees came just before), so one pause here = one executed node. The
graph ``Recorder`` is attached to the same thread before the stepper (``engine.observe`` calls
each in attach order), so graph snapshots are current when it pauses.
"""

from __future__ import annotations

import numpy as np

from desktop.debugger.history import (
    Accumulation,
    Arrival,
    BackwardInfo,
    Flow,
    HookCall,
    Retained,
)
from desktop.debugger.local_derivative import row_key
from desktop.tensors import node_name, to_numpy
from engine.observe import Observer

ACC_NAME = "AccumulateGrad"


def graph_id(fn) -> int:
    """The recorder's node id: a leaf's tensor id for AccumulateGrad, else the node's id."""
    var = getattr(fn, "variable", None)
    return id(var) if var is not None else id(fn)


class _Pass:
    """One active backward()/autograd.grad() call."""

    def __init__(self, call: int, stepping: bool, retain_graph: bool, create_graph: bool):
        self.call = call
        self.stepping = stepping
        self.retain_graph = retain_graph
        self.create_graph = create_graph
        self.steps = 0
        self.pending: dict[tuple[int, int], list] = {}  # (graph id, output nr) -> [total, count]
        self.before: dict[int, np.ndarray | None] = {}  # leaf .grad before this pass
        self.freed_all: list[int] = []
        self.inputs: set[int] = set()  # tensor ids of backward(inputs=) / autograd.grad inputs
        self.reset_events()

    def reset_events(self) -> None:
        self.accumulations: list[tuple] = []
        self.hooks: list[tuple] = []
        self.retained: list[tuple] = []
        self.freed: list[int] = []


class RawStep:
    """What one pause reports; ``info(names)`` turns it into a frozen ``BackwardInfo`` once the
    session knows the script's variable names ({graph id or tensor id: name})."""

    def __init__(self, kind: str, p: _Pass, node=None, grads_in=(), grads_out=()):
        self.kind = kind
        self.call, self.step = p.call, p.steps
        self.retain_graph, self.create_graph = p.retain_graph, p.create_graph
        self.node = node
        self.node_id = graph_id(node) if node is not None else None
        self.op = node_name(node) if node is not None else ""
        self.row = row_key(node) if node is not None else ""
        self.grads_in = tuple(to_numpy(g) for g in grads_in)
        self.flows = []
        self.arrivals = []
        if node is not None:
            for (fn, nr), g in zip(node.next_functions, grads_out, strict=False):
                if fn is None:
                    self.flows.append((None, "", None))
                    continue
                gid, g = graph_id(fn), to_numpy(g)
                self.flows.append((gid, node_name(fn), g))
                if g is not None:
                    entry = p.pending.get((gid, nr))
                    if entry is None:
                        entry = p.pending[(gid, nr)] = [g.copy(), 0]
                    else:
                        entry[0] = entry[0] + g
                    entry[1] += 1
                    self.arrivals.append((gid, node_name(fn), g, entry[0].copy(), entry[1]))
        self.accumulations = p.accumulations
        self.hooks = p.hooks
        self.retained = p.retained
        self.freed = tuple(p.freed_all) if kind == "backward_end" else tuple(p.freed)
        # an input's AccumulateGrad that left .grad alone: autograd.grad captured the grad
        self.returned = (self.op == ACC_NAME and self.node_id in p.inputs
                         and not any(a[0] == self.node_id for a in p.accumulations))

    def info(self, names: dict[int, str], discarded: tuple[str, ...] = ()) -> BackwardInfo:
        label = names.get(self.node_id, "") if self.node_id is not None else ""
        return BackwardInfo(
            call=self.call, step=self.step, node=self.node_id, op=self.op, label=label,
            grads_in=self.grads_in,
            flows=tuple(Flow(t, op, g) for t, op, g in self.flows),
            arrivals=tuple(Arrival(t, op, names.get(t, "") if op == ACC_NAME else "", g, tot, n)
                           for t, op, g, tot, n in self.arrivals),
            accumulations=tuple(Accumulation(t, names.get(t, ""), g, before, total)
                                for t, g, before, total in self.accumulations),
            hooks=tuple(HookCall(t, names.get(t, "") if t is not None else label, h, g, r)
                        for t, h, g, r in self.hooks),
            retained=tuple(Retained(t, names.get(t, ""), g) for t, g in self.retained),
            freed=self.freed, retain_graph=self.retain_graph, create_graph=self.create_graph,
            discarded=discarded, returned=self.returned, row=self.row,
        )


class BackwardStepper(Observer):
    """Observer for a debug run. ``pause(raw_step)`` is called on the worker thread after each
    node of a stepped backward pass and at its end; it blocks until the next command.

    ``armed``: set by the session while the user's last command was Step into, so a backward
    pass that starts before the next stop is stepped node by node.
    """

    def __init__(self, pause):
        self.pause = pause
        self.armed = False
        self.tracer = None  # the line tracer, woken from here when it runs untraced
        self.passes: list[_Pass] = []
        self.calls = 0

    @property
    def active(self) -> _Pass | None:
        return self.passes[-1] if self.passes else None

    def stop_stepping(self) -> None:
        """Continue / step out: let every active backward pass run to its end."""
        self.armed = False
        for p in self.passes:
            p.stepping = False

    # --- observer callbacks ---
    def on_node(self, node, inputs, output, where):
        tracer = self.tracer
        if tracer is not None and tracer.fast and tracer.attention_pending:
            tracer.resume()  # breakpoints were set during an untraced Continue

    def on_backward_begin(self, roots, grads, retain_graph, create_graph, inputs):
        self.calls += 1
        p = _Pass(self.calls, self.armed, bool(retain_graph), bool(create_graph))
        if p.stepping:
            p.before = _leaf_grads(roots)
            p.inputs = {id(t) for t in inputs or ()}
        self.passes.append(p)

    def on_backward_step(self, node, grads_in, grads_out):
        p = self.active
        if p is None:
            return
        p.steps += 1
        if not p.stepping:
            p.freed_all.extend(p.freed)
            p.reset_events()
            return
        gid = graph_id(node)
        for key in [k for k in p.pending if k[0] == gid]:
            del p.pending[key]  # the node ran: its buffer was consumed
        raw = RawStep("backward", p, node, grads_in, grads_out)
        p.freed_all.extend(p.freed)
        p.reset_events()
        self.pause(raw)

    def on_accumulate(self, tensor, grad, total):
        p = self.active
        if p is not None and p.stepping:
            g, tot = to_numpy(grad), to_numpy(total)
            key = id(tensor)
            before = p.before[key] if key in p.before else tot - g
            p.before[key] = tot
            p.accumulations.append((key, g, before, tot))

    def on_hook(self, tensor, hook, grad, result):
        p = self.active
        if p is not None and p.stepping:
            p.hooks.append((None if tensor is None else id(tensor),
                            getattr(hook, "__name__", type(hook).__name__),
                            to_numpy(grad), to_numpy(result)))

    def on_retain_grad(self, tensor, grad):
        p = self.active
        if p is not None and p.stepping:
            p.retained.append((id(tensor), to_numpy(grad)))

    def on_free(self, node):
        p = self.active
        if p is not None:
            p.freed.append(graph_id(node))

    def on_backward_end(self, error=None):
        if not self.passes:
            return
        p = self.passes.pop()
        p.freed_all.extend(p.freed)
        if p.stepping and error is None:
            self.pause(RawStep("backward_end", p))


def _leaf_grads(roots) -> dict[int, np.ndarray | None]:
    """Copies of ``.grad`` of every leaf reachable from ``roots`` (shows ``before + grad``)."""
    out: dict[int, np.ndarray | None] = {}
    seen = set()
    stack = [r.grad_fn for r in roots if r.grad_fn is not None]
    for r in roots:
        if r.grad_fn is None:
            out[id(r)] = to_numpy(r.grad)
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        var = getattr(fn, "variable", None)
        if var is not None:
            out[id(var)] = to_numpy(var.grad)
        stack.extend(nxt for nxt, _ in fn.next_functions if nxt is not None)
    return out
