"""Share unchanged parts between consecutive debugger snapshots (no Qt).

Each stop records the whole graph and every tensor, but between two stops most nodes and
tensors are unchanged: reusing the previous frozen objects keeps a 2,000-stop history at the
memory of a few snapshots instead of 2,000 copies.
"""

from __future__ import annotations

from desktop.model import GraphEdge, GraphNode, GraphSnapshot, TensorInfo


def same_array(a, b) -> bool:
    if a is b:
        return True
    if a is None or b is None:
        return False
    # bytes, not np.array_equal: ~20x faster on the small arrays snapshots keep, and NaNs with
    # the same bits compare equal
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _same_node(a: GraphNode, b: GraphNode) -> bool:
    return (a.kind == b.kind and a.op == b.op and a.label == b.label and a.shape == b.shape
            and a.line == b.line and a.freed == b.freed and a.saved == b.saved
            and same_array(a.value, b.value) and same_array(a.grad, b.grad))


def _same_tensor(a: TensorInfo, b: TensorInfo) -> bool:
    return (a.shape == b.shape and a.dtype == b.dtype and a.requires_grad == b.requires_grad
            and a.is_leaf == b.is_leaf and a.grad_fn == b.grad_fn
            and same_array(a.value, b.value) and same_array(a.grad, b.grad))


class Sharer:
    """Replaces each new node, edge and tensor by the previous equal one, when there is one."""

    def __init__(self):
        self._nodes: dict[int, GraphNode] = {}
        self._edges: dict[tuple[int, int], GraphEdge] = {}
        self._tensors: dict[str, TensorInfo] = {}

    def graph(self, g: GraphSnapshot) -> GraphSnapshot:
        nodes = tuple(self._share(self._nodes, n.id, n, _same_node) for n in g.nodes)
        edges = tuple(self._share(self._edges, (e.src, e.dst), e,
                                  lambda a, b: same_array(a.grad, b.grad)) for e in g.edges)
        return GraphSnapshot(nodes, edges, g.note, g.highlight, g.groups)

    def tensors(self, infos) -> tuple[TensorInfo, ...]:
        return tuple(self._share(self._tensors, t.name, t, _same_tensor) for t in infos)

    @staticmethod
    def _share(cache: dict, key, new, same):
        old = cache.get(key)
        if old is not None and same(old, new):
            return old
        cache[key] = new
        return new


def same_graph(a: GraphSnapshot, b: GraphSnapshot) -> bool:
    """Equal nodes (by id, any order), edges (as a multiset) and highlight."""
    na, nb = {n.id: n for n in a.nodes}, {n.id: n for n in b.nodes}
    if na.keys() != nb.keys() or a.highlight != b.highlight or a.note != b.note:
        return False
    if not all(_same_node(na[k], nb[k]) and na[k].id == nb[k].id for k in na):
        return False
    ea = sorted(a.edges, key=lambda e: (e.src, e.dst))
    eb = sorted(b.edges, key=lambda e: (e.src, e.dst))
    if [(e.src, e.dst) for e in ea] != [(e.src, e.dst) for e in eb]:
        return False
    # edges between the same pair (x * x) may list their grads in either order
    key = lambda e: (e.src, e.dst, b"" if e.grad is None else e.grad.tobytes())  # noqa: E731
    return [key(e) for e in sorted(ea, key=key)] == [key(e) for e in sorted(eb, key=key)]


def after_backward_step(prev: GraphSnapshot, recorder, namespace: dict, node, flows,
                        freed) -> GraphSnapshot | None:
    """The graph after one more backward node, from the previous backward stop's graph: only
    the node that ran (its grad, freed flag, saved list), the leaf it accumulated into and the
    grads on its edges change. A full recorder snapshot walks and copies every node, about
    10 ms at 200 nodes; this is well under 1 ms. None when it can't be derived (then take a
    full snapshot)."""
    from desktop.debugger.backward_stepper import graph_id
    from desktop.tensors import small_numpy

    gid = graph_id(node)
    if any(f != gid for f in freed):
        return None
    nodes = {n.id: n for n in prev.nodes}
    if gid not in nodes:
        return None
    nodes[gid] = recorder.snapshot_node(namespace, node)
    grads: dict[tuple[int, int], list] = {}
    for target, _op, grad in flows:
        if target is not None:
            grads.setdefault((target, gid), []).append(small_numpy(grad))
    edges = []
    for e in prev.edges:
        queue = grads.get((e.src, e.dst))
        edges.append(GraphEdge(e.src, e.dst, queue.pop(0)) if queue else e)
    return GraphSnapshot(tuple(nodes.values()), tuple(edges), prev.note, frozenset({gid}),
                         prev.groups)
