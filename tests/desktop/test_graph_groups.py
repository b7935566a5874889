"""Grouping a big graph into collapsible boxes (no Qt): loops, calls, functions, constants,
the default open/closed choice and the projection the view draws."""

from __future__ import annotations

from desktop.graph_groups import (
    COLLAPSE_ABOVE,
    MAX_CHILDREN,
    GroupState,
    OpInfo,
    find_groups,
)
from desktop.model import GraphEdge, GraphNode, GraphSnapshot, NodeKind
from desktop.runner import run_script

LOOP = """\
import torch
w = torch.ones(2, requires_grad=True)
h = w * 1.0
for i in range({n}):
    h = torch.tanh(h) * w
loss = h.sum()
"""

CALLS = """\
import torch
w = torch.ones(2, requires_grad=True)
def cell(h):
    return torch.sin(h) + w * 2.0
h = w * 1.0
for i in range({n}):
    h = cell(h)
loss = h.sum()
"""

FUNCTION_WITH_LOOP = """\
import torch
w = torch.ones(2, requires_grad=True)
def deep(h, n):
    for _ in range(n):
        h = torch.exp(h) * 0.5
    return h
y = deep(w * 1.0, 150)
z = (y * 3.0).sum()
"""


def by_kind(groups, kind):
    return [g for g in groups if g.kind == kind]


def test_a_loop_of_300_iterations_is_one_loop_box_with_blocks_of_iterations():
    graph = run_script(LOOP.format(n=300)).graph
    assert len(graph.nodes) > COLLAPSE_ABOVE
    (loop,) = [g for g in graph.groups if g.parent is None]
    assert loop.kind == "loop" and loop.title == "loop line 5 ×300" and loop.lines == (5, 5)
    ops = {n.id: n.op for n in graph.nodes}
    assert sorted(ops[m] for m in loop.members) == sorted(["TanhBackward0", "MulBackward0"] * 300)
    # 300 iterations under one box would be unreadable: blocks of 20, each of 20 iterations
    blocks = [g for g in graph.groups if g.parent == loop.key]
    assert len(blocks) == 15 and len(blocks) <= MAX_CHILDREN
    assert blocks[0].title == "iterations 1–20" and blocks[-1].title == "iterations 281–300"
    first = [g for g in graph.groups if g.parent == blocks[0].key]
    assert [g.title for g in first[:2]] == ["iteration 1 of 300", "iteration 2 of 300"]
    assert all(len(g.members) == 2 for g in first)
    keys = [g.key for g in graph.groups]
    assert len(keys) == len(set(keys))


def test_repeated_calls_of_a_loop_free_function_are_named_as_calls():
    graph = run_script(CALLS.format(n=120)).graph
    (loop,) = [g for g in graph.groups if g.parent is None]
    # the first call's w * 2.0 ... every call makes sin, mul, add: 3 nodes
    assert loop.title.startswith("cell() ×") and loop.title.endswith(" calls")
    calls = int(loop.title.split("×")[1].split()[0])
    assert calls in (119, 120) and len(loop.members) >= 3 * calls
    assert any(g.title == "call 1 of %d" % calls for g in graph.groups)


def test_a_function_with_a_loop_inside_is_one_function_box_holding_the_loop():
    graph = run_script(FUNCTION_WITH_LOOP).graph
    (fn,) = by_kind(graph.groups, "function")
    assert fn.title == "deep() · line 5" and fn.parent is None
    (loop,) = by_kind(graph.groups, "loop")
    assert loop.parent == fn.key and loop.title == "loop line 5 ×150"
    names = {n.id: n for n in graph.nodes}
    outside = [names[i].op for i in names if i not in fn.members]
    assert "SumBackward0" in outside and "AccumulateGrad" in outside


def test_a_small_graph_has_no_groups():
    assert run_script(LOOP.format(n=20)).graph.groups == ()


def test_repeats_need_two_copies_and_enough_nodes():
    ops = [OpInfo(i, 1, "MulBackward0") for i in range(7)]
    assert find_groups(ops) == ()  # 7 x one node: under MIN_REPEAT_NODES
    ops = [OpInfo(i, 1 + i % 3, f"Op{i % 3}") for i in range(12)]
    (loop, *its) = find_groups(ops)
    assert loop.kind == "loop" and loop.title == "loop lines 1–3 ×4" and len(its) == 4
    distinct = [OpInfo(i, i, f"Op{i}") for i in range(30)]
    assert find_groups(distinct) == ()


def test_the_odd_first_iteration_stays_outside_and_iterations_align_to_their_end():
    # first iteration A B D (no C), then A B C D x 5: the loop is the five complete repeats
    seq = ["A", "B", "D"] + ["A", "B", "C", "D"] * 5
    ops = [OpInfo(i, 1, op) for i, op in enumerate(seq)]
    loop = next(g for g in find_groups(ops) if g.kind == "loop")
    assert loop.members == frozenset(range(3, len(seq)))


def test_a_constant_joins_the_innermost_group_of_all_its_users():
    ops = [OpInfo(i, 1 + i % 2, f"Op{i % 2}") for i in range(10)]
    const_a, const_b = 100, 101  # a: used by iteration 1 only; b: by two iterations
    edges = [(const_a, 0), (const_b, 0), (const_b, 2)]
    groups = find_groups(ops, edges, consts=[const_a, const_b])
    loop = next(g for g in groups if g.kind == "loop")
    first = next(g for g in groups if g.title == "iteration 1 of 5")
    assert const_a in first.members and const_a in loop.members
    assert const_b in loop.members and const_b not in first.members


def chain_snapshot(n_iters):
    """w -> (loop of n_iters x [Mul, Add]) -> Sum, grouped as the recorder would."""
    ops = [OpInfo(10 + i, 5, "MulBackward0" if i % 2 == 0 else "AddBackward0")
           for i in range(2 * n_iters)]
    ids = [o.id for o in ops]
    nodes = [GraphNode(1, NodeKind.LEAF_GRAD, "AccumulateGrad", "w", (2,), None)]
    nodes += [GraphNode(o.id, NodeKind.OP, o.op, "", (2,), 5) for o in ops]
    nodes.append(GraphNode(2, NodeKind.OP, "SumBackward0", "loss", (), 6))
    edges = [GraphEdge(1, i) for i in ids[::2]]
    edges += [GraphEdge(a, b) for a, b in zip(ids, ids[1:], strict=False)]
    edges.append(GraphEdge(ids[-1], 2))
    groups = find_groups(ops, [(e.src, e.dst) for e in edges])
    return GraphSnapshot(tuple(nodes), tuple(edges), "", frozenset(), groups)


def test_a_big_graph_opens_collapsed_within_the_budget_and_the_user_can_open_a_group():
    snap = chain_snapshot(400)  # 802 nodes
    state = GroupState()
    p = state.project(snap)
    assert len(p.graph.nodes) <= state.budget
    drawn = {n.id for n in p.graph.nodes}
    assert {1, 2} <= drawn  # w and the loss stay themselves
    assert all(e.src in drawn and e.dst in drawn for e in p.graph.edges)
    # every node is drawn as itself or as exactly one box
    assert {p.drawn_id.get(n.id, n.id) for n in snap.nodes} == drawn
    assert len({(e.src, e.dst) for e in p.graph.edges}) == len(p.graph.edges)  # merged
    (loop,) = [g for g in snap.groups if g.parent is None]
    state.set_open(loop.key, False)
    closed = state.project(snap)
    assert len(closed.graph.nodes) == 3  # w, the loop's box, the loss
    assert [n.label for n in closed.graph.nodes if n.id < 0] == ["loop line 5 ×400"]
    assert closed.graph.nodes[1].op == "loop · 800 nodes"
    state.set_open(loop.key, True)
    assert len(state.project(snap).graph.nodes) > 3


def test_a_small_graph_is_drawn_whole():
    snap = chain_snapshot(20)  # groups found, but 42 nodes: nothing collapses
    p = GroupState().project(snap)
    assert p.graph is snap and not p.boxes


def test_box_nodes_and_merged_edges_are_the_same_objects_while_unchanged():
    snap = chain_snapshot(300)
    state = GroupState()
    a = state.project(snap)
    # a backward step: one node's grad changed, groups (and so boxes) the same
    nodes = list(snap.nodes)
    nodes[5] = GraphNode(nodes[5].id, NodeKind.OP, nodes[5].op, "", (2,), 5, grad=None)
    b = state.project(GraphSnapshot(tuple(nodes), snap.edges, "", frozenset({nodes[5].id}),
                                    snap.groups))
    boxes_a = {n.id: n for n in a.graph.nodes if n.id < 0}
    boxes_b = {n.id: n for n in b.graph.nodes if n.id < 0}
    assert boxes_a.keys() == boxes_b.keys() and all(boxes_a[k] is boxes_b[k] for k in boxes_a)
    merged = [e for e in a.graph.edges if e.src < 0 or e.dst < 0]
    assert merged and all(any(e is f for f in b.graph.edges) for e in merged)
    assert b.graph.highlight == {b.drawn_id.get(nodes[5].id, nodes[5].id)}


def test_default_choices_stay_put_while_a_loop_grows():
    state = GroupState()
    shapes = []
    for n in range(300, 330):
        p = state.project(chain_snapshot(n))
        shapes.append(frozenset(i for i in (n.id for n in p.graph.nodes)))
    changes = sum(a != b for a, b in zip(shapes, shapes[1:], strict=False))
    assert changes <= 3  # a new block now and then, not a reshuffle per iteration


MODEL = """\
import torch
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
x = torch.randn(16, 4)
loss = 0
for step in range(40):
    loss = loss + model(x + step).pow(2).mean()
try:
    model(torch.ones(3))  # a failing call must not leave its module open
except RuntimeError:
    pass
loss = loss * 1.0
loss.backward()
"""


def test_nodes_are_grouped_by_module_call_named_by_attribute_path():
    graph = run_script(MODEL).graph
    assert len(graph.nodes) > COLLAPSE_ABOVE
    ops = {n.id: n.op for n in graph.nodes}
    modules = by_kind(graph.groups, "module")
    titles = {g.title for g in modules}
    assert titles == {"model (Sequential)", "model.0 (Linear)", "model.1 (Tanh)",
                      "model.2 (Linear)"}
    calls = [g for g in modules if g.title == "model (Sequential)"]
    assert len(calls) == 40  # one box per call
    by_key = {g.key: g for g in graph.groups}
    tanh = [g for g in modules if g.title == "model.1 (Tanh)"]
    assert all(sorted(ops[m] for m in g.members) == ["TanhBackward0"] for g in tanh)
    assert all(by_key[g.parent].title == "model (Sequential)" for g in tanh)
    # the 40 calls of the loop body repeat: one loop box over them
    (loop,) = by_kind(graph.groups, "loop")
    assert loop.title == "loop line 7 ×40"
    last = next(n for n in graph.nodes if n.op == "MulBackward0" and n.line == 12)
    assert all(last.id not in g.members for g in modules)  # made after the failed call


def test_module_hooks_are_installed_only_while_a_recorder_lives():
    import gc

    from desktop import recorder as rec_mod
    from engine.nn import module_hooks

    rec = rec_mod.Recorder()
    assert module_hooks._global_forward_pre_hooks
    del rec
    gc.collect()
    if not rec_mod._live:  # no other test's recorder alive
        assert not module_hooks._global_forward_pre_hooks


STEPPED = """\
import torch
w = torch.ones(2, requires_grad=True)
h = w * 1.0
for i in range(150):
    h = torch.tanh(h) * w
loss = h.sum()
loss.backward()
"""


def _drawn(graph: GraphSnapshot):
    return ([(n.id, n.op, n.label, n.grad is None) for n in graph.nodes],
            [(e.src, e.dst) for e in graph.edges], graph.highlight)


def test_backward_stops_reuse_the_drawings_outline_and_draw_what_a_fresh_projection_draws():
    from desktop.debugger import DebugSession

    s = DebugSession(STEPPED)
    s.set_breakpoint(7)
    s.continue_()
    states = [s.wait_stop(60)]
    s.step_into()
    states.append(s.wait_stop(60))
    while states[-1] is not None and states[-1].kind == "backward" and len(states) < 40:
        s.step_over()
        states.append(s.wait_stop(60))
    s.stop()
    s.wait(10)
    steps = [st for st in states if st is not None and st.kind == "backward"]
    assert len(steps) > 30 and len(steps[0].graph.nodes) > COLLAPSE_ABOVE
    shared = GroupState()
    outlines = []
    real = shared._outline
    shared._outline = lambda *a: (outlines.append(1), real(*a))[1]
    for st in [*steps, *reversed(steps)]:  # through the pass, then stepping back
        got = shared.project(st.graph)
        want = GroupState().project(st.graph)  # worked out from scratch
        assert _drawn(got.graph) == _drawn(want.graph)
        by_id = {n.id: n for n in st.graph.nodes}
        # a node drawn as it is: the snapshot's own object (the view keeps unchanged boxes)
        assert all(n is by_id[n.id] for n in got.graph.nodes if n.id in by_id)
    assert len(outlines) == 1  # worked out once for the whole pass


def test_finding_groups_leaves_no_cyclic_garbage():
    # the builder's parent <-> children links are undone once the groups are made: what is
    # left is freed by reference counting, not by the next collection (which the app runs on
    # its GUI thread, where it costs a frozen window)
    import gc

    from desktop.graph_groups import _G

    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        graph = run_script(LOOP.format(n=300)).graph
        gc.collect()
        builders = [o for o in gc.garbage if type(o) is _G]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert len(graph.groups) > 10 and builders == []
