"""The recorded graph as plain data (no engine objects), and one evaluator that replays it in a
math namespace from ``rules``: float64 numpy for finite differences, sympy for closed forms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np



class NotReplayable(Exception):
    """A node's forward can't be evaluated in the requested namespace (say which and why)."""


@dataclass(frozen=True)
class Ref:
    """Where a node input comes from: ``node`` (index, out_nr), ``leaf`` (index), ``scalar``
    (a Python value), or ``arg`` (the k-th tensor argument of a replayed custom forward)."""

    kind: str
    index: int = -1
    out_nr: int = 0
    value: Any = None


@dataclass
class Leaf:
    name: str
    value: np.ndarray
    requires_grad: bool


@dataclass
class Custom:
    """A user ``autograd.Function`` node: its forward replayed as engine ops (``replay`` with
    ``outputs`` refs into it), or why that failed and a finite-difference Jacobian instead."""

    name: str
    arg_names: tuple[str, ...]  # of the float tensor arguments (the differentiable ones)
    in_values: tuple[np.ndarray, ...]
    positions: tuple[int, ...] = ()  # where those arguments are in the call
    grad_slots: tuple[int, ...] = ()  # their index among the call's tensor arguments (grads)
    replay: Graph | None = None
    outputs: tuple[Ref, ...] | None = None
    reason: str | None = None
    jacobian: np.ndarray | None = None  # d(all outputs, flat) / d(all tensor args, flat)
    backward_source: str = ""  # the user's backward as written (shown beside its check)


@dataclass
class Node:
    key: str  # rules key, or "custom"
    name: str  # PyTorch's node name, e.g. "MulBackward0"
    attrs: Any
    inputs: tuple[Ref, ...]
    out_values: tuple[np.ndarray | None, ...]
    where: tuple[str, int] | None = None
    custom: Custom | None = None
    # out_nr -> (CallTrace, target index): this output *is* the grad an earlier create_graph
    # call produced, so its closed form is that call's derivative (higher-order checks)
    origin: dict[int, tuple[Any, int]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        line = f" (line {self.where[1]})" if self.where else ""
        return self.name + line


@dataclass
class Graph:
    leaves: list[Leaf]
    nodes: list[Node]  # topological: every node after the nodes it reads


class Evaluator:
    """Values of a graph's refs in namespace ``m`` (memoised).

    ``leaf_value(i)``: the array for leaf i; ``args``: arrays for ``arg`` refs; ``override``:
    {(node index, out_nr): array} replaces a node's output (cut points, perturbations);
    ``origin_value(node, out_nr)``: optional replacement for grads produced by earlier calls.
    """

    def __init__(self, graph: Graph, m, leaf_value: Callable[[int], Any], args=(),
                 override=None, origin_value=None, check: Callable[[], None] | None = None):
        # the rule table imports sympy: loaded by the first evaluation, not by recording a run
        from . import rules

        self.rules = rules
        self.graph, self.m = graph, m
        self.leaf_value = leaf_value
        self.args = args
        self.override = override or {}
        self.origin_value = origin_value
        self.check = check
        self.memo: dict[int, tuple] = {}

    def value(self, ref: Ref):
        if ref.kind == "leaf":
            return self.leaf_value(ref.index)
        if ref.kind == "arg":
            return self.args[ref.index]
        if ref.kind == "scalar":
            return ref.value
        key = (ref.index, ref.out_nr)
        if key in self.override:
            return self.override[key]
        if self.origin_value is not None:
            node = self.graph.nodes[ref.index]
            if ref.out_nr in node.origin:
                v = self.origin_value(node, ref.out_nr)
                if v is not None:
                    return v
        outs = self.memo.get(ref.index)
        if outs is None:
            self._ensure(ref.index)
            outs = self.memo[ref.index]
        return outs[ref.out_nr]

    def _ensure(self, i: int) -> None:
        """Evaluate node i and what it needs in index (= topological) order: no recursion, so
        a graph thousands of ops deep is fine."""
        need, stack = set(), [i]
        while stack:
            j = stack.pop()
            if j in need or j in self.memo:
                continue
            need.add(j)
            for r in self.graph.nodes[j].inputs:
                if r.kind != "node" or (r.index, r.out_nr) in self.override:
                    continue
                if self.origin_value is not None and r.out_nr in self.graph.nodes[r.index].origin:
                    continue  # replaced by an earlier call's derivative: its inputs aren't needed
                stack.append(r.index)
        for j in sorted(need):
            if j not in self.memo:
                self.memo[j] = self._run(j)

    def _run(self, i: int) -> tuple:
        if self.check is not None:
            self.check()
        node = self.graph.nodes[i]
        return self.run_node(node, tuple(self.value(r) for r in node.inputs))

    def run_node(self, node: Node, args) -> tuple:
        """``node``'s outputs for the given input values."""
        if node.custom is not None:
            return self._custom(node, args)
        rules = self.rules
        if node.key not in rules.RULES:  # an op added to the engine without a rule here
            raise NotReplayable(f"no symbolic rule for engine op {node.key!r} ({node.name})")
        hint = getattr(self.m, "at_node", None)  # MIX: the node's recorded inputs, see there
        if hint is None:
            return rules.apply(self.m, node.key, args, node.attrs,
                               [o.shape for o in node.out_values])
        with hint(self.graph, node):
            return rules.apply(self.m, node.key, args, node.attrs,
                               [o.shape for o in node.out_values])

    def _custom(self, node: Node, args) -> tuple:
        c = node.custom
        tensors = tuple(self.m.arr(args[p]) for p in c.positions)
        if c.replay is not None:
            sub = Evaluator(c.replay, self.m, lambda k: None, tensors, check=self.check)
            return tuple(self.m.arr(sub.value(r)) for r in c.outputs)
        if self.m.symbolic or c.jacobian is None:
            raise NotReplayable(f"{c.name}.forward could not be replayed: {c.reason}")
        # linearise the opaque forward around the recorded point (its FD Jacobian)
        parts = [(np.asarray(a, np.float64) - v).reshape(-1)
                 for a, v in zip(tensors, c.in_values, strict=True)]
        dx = np.concatenate(parts) if parts else np.zeros(0)
        dy = c.jacobian @ dx
        outs, k = [], 0
        for o in node.out_values:
            if o is None:
                outs.append(None)
                continue
            outs.append(o.astype(np.float64) + dy[k:k + o.size].reshape(o.shape))
            k += o.size
        return tuple(outs)


def topo_order(inputs_of: Callable[[Any], list], roots: list) -> list:
    """Post-order of the nodes reachable from ``roots`` (iterative: graphs can be deep)."""
    seen, order = set(), []
    for r in roots:
        if r in seen:
            continue
        stack = [(r, iter(inputs_of(r)))]
        seen.add(r)
        while stack:
            n, it = stack[-1]
            for j in it:
                if j not in seen:
                    seen.add(j)
                    stack.append((j, iter(inputs_of(j))))
                    break
            else:
                stack.pop()
                order.append(n)
    return order
