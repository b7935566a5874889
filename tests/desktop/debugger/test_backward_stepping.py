"""Backward node by node: the order of nodes (PyTorch's), the grads at each step, accumulation
when a node or leaf is reached twice, hooks and retain_grad, freeing at the end, and the error
of a second backward through a freed graph."""

import numpy as np
import pytest
from debug_driver import stepping_into
from seed_programs import (
    SEED_GRAD_TENSORS,
    SEED_HIGHER,
    SEED_HOOKS,
    SEED_LINEAR,
    SEED_MULTI,
    SEED_RELU,
    SEED_TWICE,
)

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")


def backward_steps(states, call=None):
    return [s for s in states if s.kind == "backward"
            and (call is None or s.backward.call == call)]


def labels(steps):
    return [(s.backward.op, s.backward.label) for s in steps]


def leaf_runs_sorted(order):
    """Sort each run of consecutive AccumulateGrad steps: the engine breaks ties between leaves
    that became ready together by object id, PyTorch by next_functions order (reported in
    /tmp/engine-bugs.md); everything else must match exactly."""
    out, run = [], []
    for item in [*order, None]:
        if item is not None and item[0] == "AccumulateGrad":
            run.append(item)
            continue
        out += sorted(run)
        run = []
        if item is not None:
            out.append(item)
    return out


def by_name(state):
    return {t.name: t for t in state.tensors}


def test_linear_backward_runs_node_by_node_with_the_grads_of_each_step(driver):
    states, result = driver(SEED_LINEAR).run(stepping_into(8))
    assert result.status == "finished"
    steps = backward_steps(states)
    assert labels(steps) == [
        ("MeanBackward0", "loss"), ("PowBackward0", ""), ("SubBackward0", ""),
        ("AddBackward0", "Y_hat"), ("AccumulateGrad", "b"), ("MmBackward0", ""),
        ("TBackward0", ""), ("AccumulateGrad", "w")]
    assert [s.label for s in steps[:2]] == ["backward: MeanBackward0 (loss)",
                                           "backward: PowBackward0"]
    assert all(s.line == 8 for s in steps) and [s.backward.step for s in steps] == list(
        range(1, 9))
    t = by_name(steps[0])
    X, Y, w, b = t["X"].value, t["Y"].value, t["w"].value, t["b"].value
    r = X @ w.T + b - Y
    d = 2 * r / 10
    mean, pw, sub, add, acc_b, mm, tr, acc_w = (s.backward for s in steps)
    np.testing.assert_allclose(mean.grads_in[0], 1.0)
    np.testing.assert_allclose(mean.flows[0].grad, np.full((10, 1), 0.1), rtol=1e-6)
    assert mean.flows[0].target_op == "PowBackward0"
    np.testing.assert_allclose(pw.flows[0].grad, d, rtol=1e-5)
    np.testing.assert_allclose(sub.flows[0].grad, d, rtol=1e-5)
    assert sub.flows[1].target is None and sub.flows[1].grad is None  # Y needs no grad
    np.testing.assert_allclose(add.grads_in[0], d, rtol=1e-5)
    assert [f.target_op for f in add.flows] == ["MmBackward0", "AccumulateGrad"]
    np.testing.assert_allclose(add.flows[1].grad, d.sum(0, keepdims=True), rtol=1e-5)
    (acc,) = acc_b.accumulations
    assert acc.name == "b" and acc.before is None
    np.testing.assert_allclose(acc.total, d.sum(0, keepdims=True), rtol=1e-5)
    assert mm.flows[0].grad is None  # X
    np.testing.assert_allclose(mm.flows[1].grad, (X.T @ d), rtol=1e-5)
    np.testing.assert_allclose(tr.flows[0].grad, (X.T @ d).T, rtol=1e-5)
    np.testing.assert_allclose(acc_w.accumulations[0].total, d.T @ X, rtol=1e-5)
    # the graph at each step highlights the node that ran and carries the grads so far
    assert steps[3].graph.highlight == frozenset({add.node})
    assert steps[4].graph.highlight == frozenset({acc_b.node}) == frozenset({acc.leaf})
    leaf_b = next(n for n in steps[4].graph.nodes if n.label == "b")
    np.testing.assert_allclose(leaf_b.grad, acc.total)
    assert next(n for n in steps[3].graph.nodes if n.label == "b").grad is None
    assert by_name(steps[3])["b"].grad is None and by_name(steps[4])["b"].grad is not None


def test_saved_tensors_are_freed_as_nodes_run_and_listed_at_the_end(driver):
    states, _ = driver(SEED_LINEAR).run(stepping_into(8))
    steps = backward_steps(states)
    end = next(s for s in states if s.kind == "backward_end")
    ops_by_id = {n.id: n.op for n in end.graph.nodes}
    assert sorted(ops_by_id[i] for i in end.backward.freed) == ["MmBackward0", "PowBackward0"]
    assert end.label == "backward: done" and not end.backward.retain_graph
    assert {n.op for n in end.graph.nodes if n.freed} == {"MmBackward0", "PowBackward0"}
    pow_step = next(s for s in steps if s.backward.op == "PowBackward0")
    assert [ops_by_id[i] for i in pow_step.backward.freed] == ["PowBackward0"]
    before_pow = steps[0].graph
    assert not any(n.freed for n in before_pow.nodes)
    assert set(end.backward.discarded) == {"Y_hat", "loss"}  # non-leaf grads are not kept


RETAIN = """\
import torch
w = torch.tensor(2.0, requires_grad=True)
y = w * w
y.backward(retain_graph=True)
y.backward()
"""


def test_retain_graph_keeps_saved_tensors_and_the_leaf_accumulates_on_a_second_pass(driver):
    states, result = driver(RETAIN).run(stepping_into(4, 5))
    assert result.status == "finished"
    ends = [s for s in states if s.kind == "backward_end"]
    assert ends[0].backward.retain_graph and ends[0].backward.freed == ()
    assert not any(n.freed for n in ends[0].graph.nodes)
    assert [next(n.op for n in ends[1].graph.nodes if n.id == i)
            for i in ends[1].backward.freed] == ["MulBackward0"]
    first, second = (s.backward.accumulations[0] for s in backward_steps(states)
                     if s.backward.op == "AccumulateGrad")
    assert first.before is None and float(first.total) == 4.0
    assert float(second.before) == 4.0 and float(second.grad) == 4.0
    assert float(second.total) == 8.0  # w.grad += 4


def test_a_leaf_reached_twice_sums_its_grads_before_accumulating(driver):
    states, result = driver(SEED_GRAD_TENSORS).run(stepping_into(10))
    assert result.output == "tensor([9.])\n"
    steps = backward_steps(states)
    assert leaf_runs_sorted(labels(steps)) == [
        ("CatBackward0", "loss"), ("AddBackward0", "y1"), ("MulBackward0", "y0"),
        ("AddBackward0", "b"), ("AddBackward0", "a"), ("AccumulateGrad", "w"),
        ("AccumulateGrad", "x")]
    cat = steps[0].backward
    np.testing.assert_allclose(cat.grads_in[0], [1.0, 2.0])
    assert [float(f.grad[0]) for f in cat.flows] == [1.0, 2.0]
    # y0 = a * b: d/da = b = 2, d/db = a = 3; y1 = a + b passes 2 to both
    mul = steps[2].backward
    assert [float(f.grad[0]) for f in mul.flows] == [2.0, 3.0]
    node_a = steps[4].backward.node
    arrivals_a = [a for s in steps for a in s.backward.arrivals if a.target == node_a]
    assert [(float(a.grad[0]), float(a.total[0]), a.count) for a in arrivals_a] == [
        (2.0, 2.0, 1), (2.0, 4.0, 2)]
    arrivals_w = [a for s in steps for a in s.backward.arrivals if a.label == "w"]
    assert [(float(a.grad[0]), float(a.total[0]), a.count) for a in arrivals_w] == [
        (5.0, 5.0, 1), (4.0, 9.0, 2)]
    assert float(steps[4].backward.grads_in[0][0]) == 4.0  # a ran once, with the sum
    acc = {s.backward.label: s.backward.accumulations[0] for s in steps[5:]}
    assert float(acc["w"].total[0]) == 9.0 and float(acc["x"].total[0]) == 4.0


def test_hooks_fire_and_retain_grad_stores_during_the_step_of_their_node(driver):
    d = driver(SEED_HOOKS)
    states, result = d.run(stepping_into(10))
    steps = backward_steps(states)
    mean = steps[0].backward
    (kept,) = mean.retained
    assert kept.name == "loss" and float(kept.grad) == 1.0
    add = next(s for s in steps if s.backward.op == "AddBackward0")
    (hook,) = add.backward.hooks
    assert hook.name == "Y_hat" and hook.hook == "<lambda>" and hook.result is None
    np.testing.assert_allclose(hook.grad, add.backward.grads_in[0])
    assert not any(s.backward.hooks for s in steps if s is not add)
    # the hook printed during that step
    assert add.output_len > steps[0].output_len
    assert result.output.startswith("Y_hat grad:  tensor([[")
    assert result.output.endswith("tensor(1.)\n")


def test_step_into_at_a_backward_node_enters_hooks_written_in_the_script(driver):
    def plan(state):
        if (state.kind == "line" and state.line == 10) or state.kind == "backward":
            return "step_into"
        return "step_over"

    states, _ = driver(SEED_HOOKS).run(plan)
    kinds = [(s.kind, s.function) for s in states]
    i = kinds.index(("line", "<lambda>"))
    assert states[i].line == 7 and states[i - 1].backward.op == "SubBackward0"
    assert states[i + 1].kind == "backward" and states[i + 1].backward.op == "AddBackward0"


def test_step_into_custom_backward_then_back_to_nodes(driver):
    def plan(state):
        if (state.kind == "line" and state.line == 20) or state.kind == "backward":
            return "step_into"
        return "step_over"

    states, result = driver(SEED_RELU).run(plan)
    assert result.output.splitlines()[:2] == ["tensor([[4.5000, 4.5000]])", "tensor([[4.5000]])"]
    walk = [(s.kind, s.function, s.line) for s in states]
    i = walk.index(("line", "backward", 9))
    assert walk[i - 1][0] == "backward" and states[i - 1].backward.op == "SubBackward0"
    assert walk[i:i + 4] == [("line", "backward", n) for n in (9, 10, 11, 12)]
    assert states[i + 4].kind == "backward" and states[i + 4].backward.op == "MyReLUBackward"
    grad_in = by_name(states[i + 3])["grad_input"].value  # at `return grad_input`
    np.testing.assert_allclose(grad_in, states[i + 4].backward.flows[0].grad)
    # X @ w.t() + b = [[-1], [7]]; d loss / d Y_hat = [[-2.5], [4.5]]; relu zeroes row 0
    np.testing.assert_allclose(grad_in, [[0.0], [4.5]])


def test_step_over_at_a_node_does_not_enter_custom_backward(driver):
    states, _ = driver(SEED_RELU).run(stepping_into(20))
    assert not any(s.function == "backward" for s in states)
    assert [s.backward.op for s in backward_steps(states)][3] == "MyReLUBackward"
    relu = backward_steps(states)[3].backward
    # Y_hat - Y = [[-2, -3], [5, 4]]: d mean(.^2) / d Y_hat sums 2 (.) / 4 over the columns
    np.testing.assert_allclose(relu.grads_in[0], [[-2.5], [4.5]])
    np.testing.assert_allclose(relu.flows[0].grad, [[0.0], [4.5]])


def test_step_out_and_continue_from_a_backward_node(driver):
    states, _ = driver(SEED_LINEAR).run(
        lambda s: "step_out" if s.kind == "backward" else stepping_into(8)(s))
    assert [s.label for s in states[7:10]] == ["line 8", "backward: MeanBackward0 (loss)",
                                               "line 9"]
    states, result = driver(SEED_LINEAR).run(
        lambda s: "continue_" if s.kind == "backward" else stepping_into(8)(s))
    assert [s.kind for s in states[7:]] == ["line", "backward", "finished"]
    assert result.status == "finished"


def test_autograd_grad_steps_without_touching_grad(driver):
    states, result = driver(SEED_MULTI).run(stepping_into(6, 7))
    assert result.output == "tensor(2.) tensor(1.) tensor(3.) tensor(2.)\n"
    first = backward_steps(states, call=1)
    assert labels(first)[0] == ("MulBackward0", "y1")
    assert [float(f.grad) for f in first[0].backward.flows] == [2.0, 1.0]
    assert all(not s.backward.accumulations for s in backward_steps(states))
    # the inputs' AccumulateGrad steps say the grad is returned, not added to .grad
    returned = [(s.backward.label, float(s.backward.grads_in[0]))
                for s in backward_steps(states) if s.backward.returned]
    assert sorted(returned[:2]) == [("x1", 2.0), ("x2", 1.0)]
    assert sorted(returned[2:]) == [("x1", 3.0), ("x2", 2.0)]
    assert [s.backward.returned for s in backward_steps(states)
            if s.backward.op != "AccumulateGrad"] == [False] * 3
    assert next(s for s in states if s.kind == "backward_end").backward.freed == ()
    second = backward_steps(states, call=2)
    assert labels(second)[:2] == [("AddBackward0", "y2"), ("MulBackward0", "y1")]
    x1 = [a for s in second for a in s.backward.arrivals if a.label == "x1"]
    assert [(float(a.grad), float(a.total), a.count) for a in x1] == [(1.0, 1.0, 1),
                                                                     (2.0, 3.0, 2)]


def test_create_graph_shows_the_nodes_built_during_backward(driver):
    states, result = driver(SEED_HIGHER).run(stepping_into(7))
    assert result.output == "tensor(-2.) tensor(2.)\n"
    steps = backward_steps(states)
    assert steps and all(s.backward.create_graph for s in steps)
    built = [op for s in steps for _, op in s.new_nodes]
    assert built, "create_graph=True builds the derivative's graph during backward"
    assert steps[-1].backward.freed == ()  # create_graph retains the graph


def test_second_backward_through_the_freed_graph_stops_with_pytorchs_error(driver):
    d = driver(SEED_TWICE)
    states, result = d.run(stepping_into(10))
    err = states[-1]
    assert err.kind == "error" and err.line == 10 and err.label == "error at line 10"
    assert (err.error.kind, err.error.message) == ("RuntimeError", FREED_MESSAGE)
    assert result.status == "error" and result.error.message == FREED_MESSAGE
    # the first node of the second pass ran (Mean saves nothing), the next one needed freed data
    assert labels(backward_steps(states, call=2)) == [("MeanBackward0", "loss")]
    assert by_name(err)["w"].grad is not None and result.output.startswith("tensor([[")
    # the session goes on: its history is browsable and it can run again
    s = d.session
    assert s.step_back().label == "backward: MeanBackward0 (loss)"
    assert s.go_to(0).line == 1
    s.restart()
    assert s.wait_stop().line == 1


@pytest.mark.torch
def test_freed_error_matches_pytorch():
    torch = pytest.importorskip("torch")
    ns = {}
    with pytest.raises(RuntimeError) as exc:
        exec(SEED_TWICE.replace("import torch\n", ""), {"torch": torch, **ns})
    assert str(exc.value) == FREED_MESSAGE


def _hook_every_torch_node(source, backward_line, make_hook):
    """Run ``source`` on real PyTorch up to ``backward_line``, register
    ``make_hook(name, label)`` on every node of the graph (label: the variable name of a leaf or
    of a node's output), then run the backward line."""
    torch = pytest.importorskip("torch")
    from engine.random import DEFAULT_SEED

    lines = source.splitlines(True)
    torch.manual_seed(DEFAULT_SEED)  # the debugger's runs start from this seed (randn in SEEDs)
    ns = {"torch": torch}
    exec("".join(lines[1:backward_line - 1]), ns)
    names = {id(v): k for k, v in ns.items() if isinstance(v, torch.Tensor)}
    out_names = {id(v.grad_fn): k for k, v in ns.items()
                 if isinstance(v, torch.Tensor) and v.grad_fn is not None}
    seen = set()
    stack = [v.grad_fn for v in ns.values() if isinstance(v, torch.Tensor) and v.grad_fn]
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        var = getattr(fn, "variable", None)
        label = names.get(id(var), "") if var is not None else out_names.get(id(fn), "")
        fn.register_hook(make_hook(fn.name().split("::")[-1], label))
        stack.extend(n for n, _ in fn.next_functions if n is not None)
    exec(lines[backward_line - 1], ns)


def _torch_order(source, backward_line):
    """Execution order of real PyTorch's nodes for the backward call on ``backward_line``:
    (name, variable name for AccumulateGrad)."""
    order = []
    _hook_every_torch_node(source, backward_line, lambda name, label: (
        lambda gi, go: order.append((name, label))))
    return order


@pytest.mark.torch
@pytest.mark.parametrize("source,line", [(SEED_LINEAR, 8), (SEED_GRAD_TENSORS, 10),
                                         (SEED_HOOKS, 10), (SEED_RELU, 20)])
def test_node_order_matches_pytorch(driver, source, line):
    expected = _torch_order(source, line)
    states, _ = driver(source).run(stepping_into(line))
    assert leaf_runs_sorted(labels(backward_steps(states))) == leaf_runs_sorted(expected)


TRAIN = """\
import torch
X = torch.tensor([[1.0], [2.0], [3.0]])
Y = 2 * X + 1
w = torch.zeros(1, 1, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.1)
def step():
    opt.zero_grad()
    loss = ((X @ w - Y) ** 2).mean()
    loss.backward()
    opt.step()
    return loss
for epoch in range(4):
    loss = step()
print(w)
"""


def test_backward_inside_a_training_loop_function(driver):
    d = driver(TRAIN)
    d.session.set_watches(["epoch", "w.grad"])
    commands = iter(["step_into", "step_over", "step_out", "continue_"])
    states, result = d.run(lambda s: next(commands), start="continue_",
                           breakpoints={9: "epoch == 2"})
    at9, mean, pw, after = states[:4]
    assert (at9.line, at9.function, at9.depth) == (9, "step", 2)
    # zero_grad() sets grads to None (set_to_none=True by default, as in PyTorch 2)
    assert dict(at9.watches) == {"epoch": "2", "w.grad": "None"}
    assert [mean.backward.op, pw.backward.op] == ["MeanBackward0", "PowBackward0"]
    assert mean.backward.label == "loss"  # the function's local name
    # step out of the backward pass: the rest runs, then the next line of step()
    assert (after.kind, after.line, after.function) == ("line", 10, "step")
    Xv = np.array([[1.0], [2.0], [3.0]])
    w_now = by_name(after)["w"].value
    expected = 2 * (Xv * (Xv @ w_now - (2 * Xv + 1))).mean()
    np.testing.assert_allclose(by_name(after)["w"].grad, [[expected]], rtol=1e-5)
    assert states[-1].kind == "finished" and result.status == "finished"


def _torch_node_grads(source, backward_line):
    """Real PyTorch's grads at each node of the backward call on ``backward_line``:
    {(name, variable name): (grads in, grads sent along next_functions)}, from node hooks.
    Names must tell the nodes apart (SEED_HIGHER's derivative graph has several unnamed
    MulBackward0: not usable here)."""
    grads, keys = {}, set()

    def make_hook(name, label):
        key = (name, label)
        assert key not in keys, key  # each (op, variable) names one node
        keys.add(key)

        def record(grad_in, grad_out):
            def arr(g):
                return None if g is None else g.detach().numpy().copy()
            grads[key] = ([arr(g) for g in grad_out], [arr(g) for g in grad_in])

        return record

    _hook_every_torch_node(source, backward_line, make_hook)
    return grads


@pytest.mark.torch
@pytest.mark.parametrize("source,line", [(SEED_LINEAR, 8), (SEED_GRAD_TENSORS, 10),
                                         (SEED_HOOKS, 10), (SEED_RELU, 20), (SEED_MULTI, 6),
                                         (SEED_MULTI, 7)],
                         ids=["linear", "grad_tensors", "hooks", "relu", "multi_6", "multi_7"])
def test_the_grads_at_every_backward_step_are_pytorchs(driver, source, line):
    expected = _torch_node_grads(source, line)
    states, _ = driver(source).run(stepping_into(line))
    steps = backward_steps(states)
    # autograd.grad captures the grad at an input's AccumulateGrad, which PyTorch then skips;
    # the debugger shows that step (marked returned) to say where the result comes from
    returned = [s for s in steps if s.backward.returned]
    steps = [s for s in steps if not s.backward.returned]
    assert {(s.backward.op, s.backward.label) for s in steps} == set(expected)
    for s in returned:
        (arrived,) = [a for t in steps for a in t.backward.arrivals if a.target == s.backward.node
                      and a.count == max(x.count for u in steps for x in u.backward.arrivals
                                         if x.target == s.backward.node)]
        np.testing.assert_allclose(s.backward.grads_in[0], arrived.total)
    for s in steps:
        b = s.backward
        grads_in, sent = expected[(b.op, b.label)]
        assert len(b.grads_in) == len(grads_in), b.op
        for ours, theirs in zip(b.grads_in, grads_in, strict=True):
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6, err_msg=b.op)
        if b.op == "AccumulateGrad":
            continue  # PyTorch reports no grad_inputs for a leaf; its .grad is checked below
        assert len(b.flows) == len(sent), b.op
        for flow, theirs in zip(b.flows, sent, strict=True):
            if theirs is None:
                assert flow.grad is None, b.op
            else:
                np.testing.assert_allclose(flow.grad, theirs, rtol=1e-5, atol=1e-6,
                                           err_msg=b.op)
    for s in steps:
        for acc in s.backward.accumulations:
            np.testing.assert_allclose(acc.total, expected[("AccumulateGrad", acc.name)][0][0],
                                       rtol=1e-5, atol=1e-6)


def test_step_out_of_a_custom_backward_returns_to_the_node_by_node_pass(driver):
    def plan(state):
        if state.kind == "line" and state.function == "backward":
            return "step_out"  # at its first line
        if (state.kind == "line" and state.line == 20) or state.kind == "backward":
            return "step_into"
        return "step_over"

    states, result = driver(SEED_RELU).run(plan)
    walk = [(s.kind, s.function, s.line) for s in states]
    i = walk.index(("line", "backward", 9))
    assert walk[i + 1] == ("backward", "<module>", 20)  # lines 10-12 ran without a stop
    assert states[i + 1].backward.op == "MyReLUBackward"
    np.testing.assert_allclose(states[i + 1].backward.flows[0].grad, [[0.0], [4.5]])
    assert [s.backward.op for s in states[i + 2:] if s.kind == "backward"] == [
        "AddBackward0", "AccumulateGrad", "MmBackward0", "TBackward0", "AccumulateGrad"]
    assert result.status == "finished"
