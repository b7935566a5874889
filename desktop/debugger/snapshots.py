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
        return GraphSnapshot(nodes, edges, g.note, g.highlight)

    def tensors(self, infos) -> tuple[TensorInfo, ...]:
        return tuple(self._share(self._tensors, t.name, t, _same_tensor) for t in infos)

    @staticmethod
    def _share(cache: dict, key, new, same):
        old = cache.get(key)
        if old is not None and same(old, new):
            return old
        cache[key] = new
        return new
