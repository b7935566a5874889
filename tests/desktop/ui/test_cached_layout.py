"""CachedLayout: one layout per drawing shape, reused across debugger stops and re-Runs."""

from desktop.model import GraphEdge, GraphNode, GraphSnapshot, NodeKind
from desktop.ui.cached_layout import CachedLayout


def chain(ids, ops=("MulBackward0", "SumBackward0"), extra_edge=False):
    a, b, c = ids
    nodes = (GraphNode(a, NodeKind.LEAF_GRAD, "AccumulateGrad", "x", (3,), None),
             GraphNode(b, NodeKind.OP, ops[0], "", (3,), 2),
             GraphNode(c, NodeKind.OP, ops[1], "y", (), 3))
    edges = [GraphEdge(a, b), GraphEdge(b, c)]
    if extra_edge:
        edges.append(GraphEdge(a, c))
    return GraphSnapshot(nodes, tuple(edges))


class Counting:
    """A layout whose positions depend on the ids, so a reuse shows in the result."""

    def __init__(self):
        self.calls = 0

    def __call__(self, snapshot, sizes=None):
        self.calls += 1
        return {n.id: (float(i * 100), float(n.id % 7)) for i, n in enumerate(snapshot.nodes)}


def sizes(ids, w=80.0):
    return {i: (w, 30.0) for i in ids}


def test_the_same_drawing_is_laid_out_once():
    fn = Counting()
    cached = CachedLayout(fn, accepts_sizes=True)
    snap = chain((1, 2, 3))
    first = cached(snap, sizes((1, 2, 3)))
    assert cached(snap, sizes((1, 2, 3))) == first
    assert fn.calls == 1


def test_a_rerun_with_new_ids_gets_the_last_positions_moved_onto_them():
    fn = Counting()
    cached = CachedLayout(fn, accepts_sizes=True)
    first = cached(chain((1, 2, 3)), sizes((1, 2, 3)))
    again = cached(chain((11, 12, 13)), sizes((11, 12, 13)))
    assert fn.calls == 1
    assert again == {11: first[1], 12: first[2], 13: first[3]}


def test_a_changed_shape_is_laid_out_again():
    fn = Counting()
    cached = CachedLayout(fn, accepts_sizes=True)
    cached(chain((1, 2, 3)), sizes((1, 2, 3)))
    cached(chain((4, 5, 6), extra_edge=True), sizes((4, 5, 6)))
    assert fn.calls == 2
    cached(chain((7, 8, 9), ops=("AddBackward0", "SumBackward0")), sizes((7, 8, 9)))
    assert fn.calls == 3
    out = cached(chain((10, 11, 12), ops=("AddBackward0", "SumBackward0")),
                 sizes((10, 11, 12), w=120.0))  # wider boxes need more room
    assert fn.calls == 4
    assert set(out) == {10, 11, 12}


def test_a_layout_without_sizes_is_called_without_them():
    calls = []

    def plain(snapshot):
        calls.append(snapshot)
        return {n.id: (0.0, 0.0) for n in snapshot.nodes}

    cached = CachedLayout(plain, accepts_sizes=False)
    cached(chain((1, 2, 3)))
    cached(chain((4, 5, 6)))
    assert len(calls) == 1


def test_several_shapes_are_kept_and_the_oldest_goes():
    fn = Counting()
    cached = CachedLayout(fn, accepts_sizes=True)
    a, b = chain((1, 2, 3)), chain((4, 5, 6), extra_edge=True)
    cached(a, sizes((1, 2, 3)))
    cached(b, sizes((4, 5, 6)))
    cached(chain((7, 8, 9)), sizes((7, 8, 9)))  # a's shape, laid out before b's
    cached(chain((10, 11, 12), extra_edge=True), sizes((10, 11, 12)))
    assert fn.calls == 2
    for k in range(CachedLayout.KEEP):  # as many new shapes as are kept: a's and b's go
        ops = (f"Op{k}Backward0", "SumBackward0")
        ids = (100 + 3 * k, 101 + 3 * k, 102 + 3 * k)
        cached(chain(ids, ops=ops), sizes(ids))
    assert fn.calls == 2 + CachedLayout.KEEP
    cached(chain((1, 2, 3)), sizes((1, 2, 3)))
    assert fn.calls == 3 + CachedLayout.KEEP
