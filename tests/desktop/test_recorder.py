"""desktop.recorder: the graph the seed script builds, as the graph view will show it."""

import threading

import numpy as np
import pytest
from seed_programs import SEED_LINEAR as SEED

from desktop.model import NodeKind
from desktop.recorder import MAX_NODES, Recorder, attach, detach
from desktop.runner import run_script


def nodes_by_label(graph):
    return {n.label: n for n in graph.nodes if n.label}


def ops(graph):
    return sorted(n.op for n in graph.nodes)


def test_seed_graph_nodes_kinds_and_names():
    result = run_script(SEED)
    graph = result.graph
    assert ops(graph) == sorted([
        "AccumulateGrad", "AccumulateGrad", "const", "const", "MmBackward0", "TBackward0",
        "AddBackward0", "SubBackward0", "PowBackward0", "MeanBackward0"])
    named = nodes_by_label(graph)
    assert set(named) == {"w", "b", "X", "Y", "Y_hat", "loss"}
    assert named["w"].kind == named["b"].kind == NodeKind.LEAF_GRAD
    assert named["X"].kind == named["Y"].kind == NodeKind.LEAF_CONST
    assert named["Y_hat"].op == "AddBackward0" and named["Y_hat"].kind == NodeKind.OP
    assert named["loss"].op == "MeanBackward0" and named["loss"].shape == ()
    assert named["X"].shape == (10, 2) and named["w"].shape == (1, 2)
    by_op = {n.op: n for n in graph.nodes}
    assert by_op["MmBackward0"].line == 6 and by_op["MeanBackward0"].line == 7
    assert by_op["PowBackward0"].shape == (10, 1)
    assert graph.note == ""


def test_seed_graph_edges_and_grads_after_backward():
    result = run_script(SEED)
    graph = result.graph
    t = {i.name: i for i in result.tensors}
    named = nodes_by_label(graph)
    by_op = {n.op: n for n in graph.nodes}
    label = {n.id: n.label or n.op for n in graph.nodes}
    edges = {(label[e.src], label[e.dst]) for e in graph.edges}
    assert edges == {
        ("w", "TBackward0"), ("TBackward0", "MmBackward0"), ("X", "MmBackward0"),
        ("MmBackward0", "Y_hat"), ("b", "Y_hat"), ("Y_hat", "SubBackward0"),
        ("Y", "SubBackward0"), ("SubBackward0", "PowBackward0"), ("PowBackward0", "loss")}
    # saved tensors were released by backward (nodes that save nothing have nothing to free)
    assert by_op["PowBackward0"].freed and by_op["MmBackward0"].freed
    # leaves show their .grad; the edge into a leaf carries the grad that flowed to it
    np.testing.assert_allclose(named["w"].grad, t["w"].grad)
    np.testing.assert_allclose(named["b"].grad, t["b"].grad)
    grads = {(label[e.src], label[e.dst]): e.grad for e in graph.edges}
    np.testing.assert_allclose(grads[("b", "Y_hat")], t["b"].grad, rtol=1e-6)
    np.testing.assert_allclose(grads[("w", "TBackward0")], t["w"].grad, rtol=1e-6)
    assert grads[("X", "MmBackward0")] is None  # constants get no grad
    residual = t["Y_hat"].value - t["Y"].value
    np.testing.assert_allclose(grads[("Y_hat", "SubBackward0")], 2 * residual / 10, rtol=1e-5)
    assert by_op["MeanBackward0"].grad == pytest.approx(1.0)
    np.testing.assert_allclose(named["Y_hat"].value, t["Y_hat"].value)


def test_forward_only_graph_is_not_freed_and_shows_saved():
    result = run_script(SEED.replace("loss.backward()\n", "").replace("print(w.grad, b.grad)", ""))
    assert not any(n.freed for n in result.graph.nodes)
    mm = next(n for n in result.graph.nodes if n.op == "MmBackward0")
    assert mm.saved  # descriptions of what backward will need
    assert result.backward_values == ()


def test_training_loop_shows_last_iteration_and_loss_curve():
    source = (
        "import torch\n"
        "w = torch.tensor([0.0], requires_grad=True)\n"
        "x = torch.tensor([1.0, 2.0, 3.0])\n"
        "y = 2 * x\n"
        "for step in range(20):\n"
        "    loss = ((w * x - y) ** 2).mean()\n"
        "    loss.backward()\n"
        "    with torch.no_grad():\n"
        "        w -= 0.05 * w.grad\n"
        "    w.grad.zero_()\n"
    )
    result = run_script(source)
    assert result.status == "finished", result.error
    assert len(result.backward_values) == 20
    assert result.backward_values[-1] < result.backward_values[0]
    assert ops(result.graph).count("MeanBackward0") == 1
    assert nodes_by_label(result.graph)["w"].kind == NodeKind.LEAF_GRAD


def test_unused_leaf_appears_and_dropped_graph_does_not():
    result = run_script("import torch\na = torch.ones(2, requires_grad=True)\n"
                        "b = torch.ones(2, requires_grad=True)\nprint((a * 2).sum())\n")
    assert {n.label for n in result.graph.nodes} == {"a", "b"}
    assert "SumBackward0" not in ops(result.graph)  # the script kept no reference to it


def test_unnamed_graph_still_alive_appears():
    result = run_script("import torch\na = torch.ones(2, requires_grad=True)\n"
                        "outs = [(a * 2).sum()]\n")
    assert {"SumBackward0", "MulBackward0"} <= set(ops(result.graph))


def test_module_parameters_are_named():
    pytest.importorskip("engine.nn")
    result = run_script("import torch\nmodel = torch.nn.Linear(3, 1)\n"
                        "out = model(torch.ones(2, 3)).sum()\n")
    assert result.status == "finished", result.error
    labels = {n.label for n in result.graph.nodes}
    assert {"model.weight", "model.bias", "out"} <= labels
    assert {"model.weight", "model.bias"} <= {t.name for t in result.tensors}


def test_custom_function_node_kind():
    source = (
        "import torch\n"
        "class MyReLU(torch.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        ctx.save_for_backward(x)\n"
        "        return x.clamp(min=0)\n"
        "    @staticmethod\n"
        "    def backward(ctx, g):\n"
        "        (x,) = ctx.saved_tensors\n"
        "        return g * (x > 0).float()\n"
        "x = torch.tensor([-1.0, 2.0], requires_grad=True)\n"
        "y = MyReLU.apply(x)\n"
        "y.sum().backward()\n"
    )
    result = run_script(source)
    assert result.status == "finished", result.error
    node = nodes_by_label(result.graph)["y"]
    assert node.kind == NodeKind.CUSTOM and node.op == "MyReLUBackward"
    assert node.line == 12


def test_hooks_accumulations_and_retained_grads_are_recorded():
    import engine

    rec = Recorder("<string>")
    attach(rec)
    try:
        w = engine.tensor([1.0, 2.0], requires_grad=True)
        w.register_hook(lambda g: g * 2)
        h = w * 3
        h.retain_grad()
        h.sum().backward(retain_graph=True)
        h.sum().backward()
    finally:
        detach()
    assert len(rec.accumulations) == 2
    np.testing.assert_allclose(rec.accumulations[-1][1], [12.0, 12.0])
    assert len(rec.hook_calls) == 2 and rec.hook_calls[0][0] == id(w)
    assert id(h) in rec.retained
    assert rec.backward_calls == 2


def test_a_node_that_saved_its_output_lists_it_until_backward_frees_it():
    src = ("import torch\nx = torch.ones(2, 3, requires_grad=True)\ny = torch.tanh(x)\n"
           "z = y.sum()\n")
    tanh = next(n for n in run_script(src).graph.nodes if n.op == "TanhBackward0")
    assert tanh.saved == ("result: (2, 3)",)  # tanh's VJP reads its output, not its input
    tanh = next(n for n in run_script(src + "z.backward()\n").graph.nodes
                if n.op == "TanhBackward0")
    assert tanh.freed and tanh.saved == ()


def test_saved_tensors_are_listed_under_pytorchs_names():
    src = ("import torch\nx = torch.ones(2, 3, requires_grad=True)\nw = torch.ones(3, 4)\n"
           "y = (x * 2) @ w\nz = x.flip(0) * x\n")
    nodes = run_script(src).graph.nodes
    (scale,) = (n for n in nodes if n.op == "MulBackward0" and n.line == 4)
    (mm,) = (n for n in nodes if n.op == "MmBackward0")
    assert scale.saved == ("other: ()",)  # x is not kept: only d/dx is asked for
    assert mm.saved == ("mat2: (3, 4)",)  # w needs no grad, so the input is not kept
    (flip_mul,) = (n for n in nodes if n.op == "MulBackward0" and n.line == 5)
    assert flip_mul.saved == ("self: (2, 3)", "other: (2, 3)")
    flip = next(n for n in nodes if n.op == "FlipBackward0")  # not listed: no names invented
    assert flip.saved == ()


def test_other_threads_are_not_recorded():
    import engine

    rec = Recorder("<string>")
    attach(rec)
    try:
        def elsewhere():
            x = engine.ones(2, requires_grad=True)
            (x * 2).sum()

        worker = threading.Thread(target=elsewhere)
        worker.start()
        worker.join()
        assert rec.records == {}
        x = engine.ones(2, requires_grad=True)
        y = x * 2
        assert len(rec.records) == 1
        mark = rec.mark()
        z = y + 1
        assert rec.created_since(mark) == {id(z.grad_fn)}
    finally:
        detach()
    assert engine.observe.current is None


def test_graph_is_capped_with_a_note():
    result = run_script("import torch\nx = torch.ones(1, requires_grad=True)\ny = x\n"
                        f"for _ in range({MAX_NODES + 500}):\n    y = y * 1.0\n")
    graph = result.graph
    assert len(graph.nodes) == MAX_NODES
    assert "capped" in graph.note
    ids = {n.id for n in graph.nodes}
    assert all(e.src in ids and e.dst in ids for e in graph.edges)


def test_dropped_graphs_release_their_records():
    import gc

    import engine

    rec = Recorder("<string>")
    attach(rec)
    try:
        x = engine.ones(2, requires_grad=True)
        for _ in range(50):
            (x * 2).sum().backward()
        gc.collect()
        assert len(rec.records) <= 2  # only what is still alive
    finally:
        detach()


def test_many_live_graphs_evict_old_records_with_a_note():
    from desktop import recorder

    result = run_script("import torch\nx = torch.ones(1, requires_grad=True)\n"
                        f"outs = [x * 2 for _ in range({recorder.MAX_RECORDS + 10})]\n")
    assert result.status == "finished", result.error
    assert "dropped" in result.graph.note and "capped" in result.graph.note


def test_router_keeps_an_observer_installed_before():
    import engine
    from engine.observe import Observer

    class Counter(Observer):
        nodes = 0

        def on_node(self, *args):
            Counter.nodes += 1

    previous = engine.observe.set_observer(Counter())
    try:
        result = run_script("import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 2\n")
        assert {n.op for n in result.graph.nodes} == {"AccumulateGrad", "MulBackward0"}
        assert Counter.nodes == 0  # the run's ops went to the run's recorder only
        assert isinstance(engine.observe.current, Counter)  # restored after the run
        x = engine.ones(2, requires_grad=True)
        x * 2
        assert Counter.nodes == 1
    finally:
        engine.observe.set_observer(previous)


def test_tensors_in_containers_are_named():
    result = run_script("import torch\nws = [torch.ones(2, requires_grad=True) for _ in range(3)]\n"
                        "p = {'b': torch.zeros(1, requires_grad=True)}\nw0 = ws[0]\n"
                        "out = (ws[1] * 2).sum()\n")
    assert {"w0", "ws[1]", "ws[2]", "p['b']", "out"} <= {n.label for n in result.graph.nodes}
    assert "ws[0]" not in {t.name for t in result.tensors}  # already named w0


def test_one_node_is_built_as_the_full_snapshot_builds_it():
    import engine

    rec = Recorder("<string>")
    attach(rec)
    try:
        w = engine.tensor([1.0, 2.0], requires_grad=True)
        y = (w * 3).sum()
        y.backward(retain_graph=True)
    finally:
        detach()
    ns = {"w": w, "y": y}
    full = {n.id: n for n in rec.snapshot(ns).nodes}
    mul = y.grad_fn.next_functions[0][0]
    acc = mul.next_functions[0][0]
    for fn, key, op in ((y.grad_fn, id(y.grad_fn), "SumBackward0"),
                        (mul, id(mul), "MulBackward0"), (acc, id(w), "AccumulateGrad")):
        one = rec.snapshot_node(ns, fn)
        assert one.id == key and one.op == op
        other = full[key]
        assert (one.kind, one.label, one.shape, one.line, one.freed, one.saved) == \
            (other.kind, other.label, other.shape, other.line, other.freed, other.saved)
        for a, b in ((one.value, other.value), (one.grad, other.grad)):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(rec.snapshot_node(ns, acc).grad, [3.0, 3.0])
    assert rec.snapshot_node(ns, acc).label == "w"


def test_a_runs_recorder_takes_no_accumulation_hook_or_retain_events():
    from desktop.runner import ScriptRun

    run = ScriptRun(SEED.replace("loss.backward()", "loss.retain_grad()\nloss.backward()"))
    result = run.start().wait()
    rec = run.recorder
    assert result.status == "finished", result.error
    assert rec.accumulations == [] and rec.retained == [] and rec.hook_calls == []
    # what the views read is still there: the loss value, and leaf grads from the tensors
    assert rec.backward_calls == 1 and len(result.backward_values) == 1
    t = {i.name: i for i in result.tensors}
    np.testing.assert_allclose(nodes_by_label(result.graph)["w"].grad, t["w"].grad)


def test_a_finished_recorder_and_its_graph_go_without_the_cyclic_collector():
    import gc
    import weakref as _weakref

    import engine
    from desktop.recorder import RunRecorder, attach, detach

    gc.disable()
    try:
        rec = RunRecorder()
        attach(rec)
        try:
            x = engine.ones(3, requires_grad=True)
            loss = (x * 2).sum()
            loss.backward()
        finally:
            detach(rec)
        assert len(rec.records) == 2
        node = _weakref.ref(loss.grad_fn)
        gone = _weakref.ref(rec)
        del rec, loss
        assert gone() is None and node() is None  # reference counting alone freed both
    finally:
        gc.enable()


@pytest.mark.filterwarnings("ignore:Using backward")
def test_a_second_order_grad_shows_as_print_shows_its_node():
    source = """\
import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
(x ** 3).sum().backward(create_graph=True)
g = x.grad
"""
    graph = run_script(source).graph
    named = nodes_by_label(graph)
    assert named["g"].op == "CopyBackwards"  # print(g.grad_fn): <CopyBackwards object ...>
    assert named["g"].value.tolist() == [3.0, 12.0]  # 3 x^2
    into_g = {e.src for e in graph.edges if e.dst == named["g"].id}
    kinds = {n.id: n for n in graph.nodes}
    consts = [kinds[i] for i in into_g if kinds[i].kind == NodeKind.LEAF_CONST]
    # the tensor copy_ filled, as it was before: zeros, never uninitialised memory
    assert [c.value.tolist() for c in consts] == [[0.0, 0.0]]


def test_the_clone_an_inplace_op_saved_is_not_drawn_unless_the_script_holds_it():
    source = """\
import torch
x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
y = x * 2
y.mul_(x)  # saves a clone of y's old value for its backward, as ATen does
z = y.sum()
"""
    ops_drawn = ops(run_script(source).graph)
    assert ops_drawn == sorted(["AccumulateGrad", "MulBackward0", "MulBackward0",
                                "SumBackward0"])
    held = source + "s = y.grad_fn._saved_self\nw = x.clone()\n"
    named = nodes_by_label(run_script(held).graph)
    assert named["s"].op == named["w"].op == "CloneBackward0"
