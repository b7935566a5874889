"""desktop.layout: every node gets a position, leaves above the loss, components side by side."""

import random

import pytest
from seed_programs import SEED_LINEAR as SEED

from desktop import layout as layout_mod
from desktop.layout import DEFAULT_SIZE, layout, layout_cost
from desktop.model import GraphEdge, GraphNode, GraphSnapshot, NodeKind
from desktop.runner import run_script


@pytest.fixture(scope="module")
def seed_graph():
    return run_script(SEED).graph


def op(i, kind=NodeKind.OP):
    return GraphNode(i, kind, "Op", "", (), None)


def chain_graph(n, start=0, fan=2, seed=0):
    """An autograd-like DAG: each op takes a recent result and sometimes a fresh leaf."""
    rnd = random.Random(seed)
    nodes, edges = [op(start)], []
    for i in range(start + 1, start + n):
        nodes.append(op(i))
        edges.append(GraphEdge(i - 1, i))
        if fan > 1 and rnd.random() < 0.5 and i - start > 2:
            edges.append(GraphEdge(rnd.randrange(max(start, i - 6), i - 1), i))
    return nodes, edges


def assert_edges_point_down(graph, pos):
    for e in graph.edges:
        assert pos[e.src][1] < pos[e.dst][1], (e.src, e.dst)


@pytest.mark.parametrize("use_grandalf", [True, False])
def test_seed_graph_leaves_above_loss(seed_graph, use_grandalf):
    pos = layout(seed_graph, use_grandalf=use_grandalf)
    assert set(pos) == {n.id for n in seed_graph.nodes}
    assert_edges_point_down(seed_graph, pos)
    by_label = {n.label: n.id for n in seed_graph.nodes if n.label}
    loss_y = pos[by_label["loss"]][1]
    assert all(pos[i][1] <= loss_y for i in pos)
    assert pos[by_label["w"]][1] < pos[by_label["Y_hat"]][1]


def _overlap(a, b, size_a, size_b):
    return (abs(a[0] - b[0]) < (size_a[0] + size_b[0]) / 2
            and abs(a[1] - b[1]) < (size_a[1] + size_b[1]) / 2)


@pytest.mark.parametrize("use_grandalf", [True, False])
def test_boxes_do_not_overlap_with_given_sizes(seed_graph, use_grandalf):
    sizes = {n.id: (90.0 + 10 * (k % 3), 40.0 + 5 * (k % 2))
             for k, n in enumerate(seed_graph.nodes)}
    pos = layout(seed_graph, sizes, use_grandalf=use_grandalf)
    ids = list(pos)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            assert not _overlap(pos[a], pos[b], sizes[a], sizes[b]), (a, b)


def test_components_side_by_side():
    n1, e1 = chain_graph(12, start=0)
    n2, e2 = chain_graph(7, start=100)
    lonely = op(500, NodeKind.LEAF_GRAD)
    graph = GraphSnapshot(tuple(n1 + n2 + [lonely]), tuple(e1 + e2))
    pos = layout(graph)
    assert set(pos) == {n.id for n in graph.nodes}
    assert_edges_point_down(graph, pos)
    w = DEFAULT_SIZE[0] / 2
    spans = [(min(pos[n.id][0] for n in part) - w, max(pos[n.id][0] for n in part) + w)
             for part in (n1, n2, [lonely])]
    spans.sort()
    assert all(spans[k][1] <= spans[k + 1][0] for k in range(len(spans) - 1))
    assert min(p[1] for p in pos.values()) >= 0 and min(p[0] for p in pos.values()) >= 0


def test_duplicate_edges_and_empty_graph():
    graph = GraphSnapshot((op(1), op(2)), (GraphEdge(1, 2), GraphEdge(1, 2)))  # x * x
    pos = layout(graph)
    assert pos[1][1] < pos[2][1]
    assert layout(GraphSnapshot()) == {}


def test_big_graph_takes_the_fast_path(monkeypatch):
    nodes, edges = chain_graph(2000, fan=2)
    graph = GraphSnapshot(tuple(nodes), tuple(edges))
    assert layout_cost([n.id for n in nodes], [(e.src, e.dst) for e in edges]) \
        > layout_mod.GRANDALF_MAX_COST
    called = []
    monkeypatch.setattr(layout_mod, "_grandalf", lambda *a: called.append(1))
    pos = layout(graph)  # ~25 ms; timing is measured in bench/, not asserted here
    assert not called and len(pos) == 2000
    assert_edges_point_down(graph, pos)


def test_grandalf_failure_falls_back(monkeypatch, seed_graph):
    monkeypatch.setattr(layout_mod, "_grandalf", lambda *a: None)
    pos = layout(seed_graph)
    assert set(pos) == {n.id for n in seed_graph.nodes}
    assert_edges_point_down(seed_graph, pos)


def test_mid_size_graph_uses_grandalf(monkeypatch):
    nodes, edges = chain_graph(150, fan=1)
    graph = GraphSnapshot(tuple(nodes), tuple(edges))
    calls = []
    real = layout_mod._grandalf
    monkeypatch.setattr(layout_mod, "_grandalf", lambda *a: calls.append(1) or real(*a))
    pos = layout(graph)
    assert calls == [1]
    assert_edges_point_down(graph, pos)
