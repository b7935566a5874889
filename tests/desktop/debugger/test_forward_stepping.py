"""Forward stepping with the debugger: lines, the nodes each line creates, step into / out of
user functions and custom Function.forward, breakpoints with conditions, run to cursor."""

import numpy as np
import pytest
from debug_driver import into, over
from seed_programs import (
    SEED_GRAD_TENSORS,
    SEED_HIGHER,
    SEED_HOOKS,
    SEED_LINEAR,
    SEED_MULTI,
    SEED_RELU,
    SEED_TWICE,
)


def ops(state):
    return [op for _, op in state.new_nodes]


def by_name(state):
    return {t.name: t for t in state.tensors}


def test_step_over_visits_every_line_and_shows_the_nodes_each_line_created(driver):
    states, result = driver(SEED_LINEAR).run(over)
    assert [s.line for s in states] == [1, 2, 3, 4, 5, 6, 7, 8, 9, None]
    assert [s.kind for s in states][-1] == "finished" and result.status == "finished"
    assert [s.label for s in states[:2]] == ["line 1", "line 2"]
    # a stop reports what the step that just ran (the previous line) created
    created = {s.from_line: ops(s) for s in states[1:]}
    assert created[6] == ["TBackward0", "MmBackward0", "AddBackward0"]
    assert created[7] == ["SubBackward0", "PowBackward0", "MeanBackward0"]
    assert all(created[n] == [] for n in (1, 2, 3, 4, 5, 8, 9))
    # the new nodes are highlighted in that stop's graph, and the graph grows line by line
    at7 = states[6]
    assert at7.graph.highlight == frozenset(k for k, _ in at7.new_nodes)
    assert {n.op for n in at7.graph.nodes} >= {"TBackward0", "MmBackward0", "AddBackward0"}
    assert "MeanBackward0" not in {n.op for n in at7.graph.nodes}
    assert {n.op for n in states[7].graph.nodes} >= {"MeanBackward0", "PowBackward0"}


LINEAR_NODES = {6: ["TBackward0", "MmBackward0", "AddBackward0"],
                7: ["SubBackward0", "PowBackward0", "MeanBackward0"]}


@pytest.mark.parametrize("source,lines,nodes", [
    (SEED_TWICE, [*range(1, 11), 10], LINEAR_NODES),  # the second backward fails on line 10
    (SEED_HOOKS, [*range(1, 12), None], {6: LINEAR_NODES[6], 8: LINEAR_NODES[7]}),
    # Step over runs the class body (lines 3-12) without stopping in it
    (SEED_RELU, [1, 2, *range(13, 24), None],
     {18: [*LINEAR_NODES[6], "MyReLUBackward"], 19: LINEAR_NODES[7]}),
    (SEED_GRAD_TENSORS, [*range(1, 12), None],
     {4: ["AddBackward0"], 5: ["AddBackward0"], 6: ["MulBackward0"], 7: ["AddBackward0"],
      8: ["CatBackward0"]}),
    # line 7 is autograd.grad(create_graph=True): the derivative's own graph, kept by dy_dx
    # (pow's backward as PyTorch records it: grad * (2 * x.pow(1)))
    (SEED_HIGHER, [*range(1, 10), None],
     {6: ["PowBackward0", "MulBackward0", "MulBackward0", "AddBackward0", "AddBackward0"],
      7: ["PowBackward0", "MulBackward1", "MulBackward0", "AddBackward0"]}),
    (SEED_MULTI, [*range(1, 9), None], {4: ["MulBackward0"], 5: ["AddBackward0"]}),
], ids=["twice", "hooks", "relu", "grad_tensors", "higher", "multi"])
def test_every_seed_example_steps_line_by_line_with_the_nodes_of_each_line(driver, source,
                                                                           lines, nodes):
    states, _ = driver(source).run(over)
    assert [s.line for s in states] == lines
    assert {s.from_line: ops(s) for s in states[1:] if s.new_nodes} == nodes
    for s in states[1:]:
        if s.kind == "line":  # the nodes a line built are the ones lit up at the next stop
            assert s.graph.highlight == frozenset(k for k, _ in s.new_nodes)


def test_tensors_at_each_stop_are_as_they_were_then(driver):
    states, _ = driver(SEED_LINEAR).run(over)
    at6 = by_name(states[5])  # before `Y_hat = ...` ran
    assert set(at6) == {"w", "b", "X", "Y"}
    at9 = by_name(states[8])  # after backward
    X, Y, w, b = at9["X"].value, at9["Y"].value, at9["w"].value, at9["b"].value
    r = X @ w.T + b - Y
    np.testing.assert_allclose(at9["w"].grad, 2 * r.T @ X / 10, rtol=1e-5)
    np.testing.assert_allclose(at9["b"].grad, [[2 * r.mean()]], rtol=1e-5)
    assert by_name(states[7])["w"].grad is None  # at line 8, backward has not run yet
    assert at9["Y_hat"].grad is None and at9["Y_hat"].grad_fn == "AddBackward0"


def test_step_into_enters_custom_function_forward_and_step_out_leaves_it(driver):
    seen = []

    def plan(state):
        seen.append((state.line, state.function))
        if state.line == 18:  # Y_hat = relu(X @ w.t() + b)
            return "step_into"
        if state.function == "forward" and state.line == 5:
            return "step_out"
        return "step_over"

    states, result = driver(SEED_RELU).run(plan)
    assert result.status == "finished"
    i = seen.index((18, "<module>"))
    assert seen[i + 1] == (5, "forward")  # first line of MyReLU.forward
    assert states[i + 1].depth == 2 and states[i + 1].label == "line 5"
    # the argument X @ w.t() + b was built before forward was entered
    assert ops(states[i + 1]) == ["TBackward0", "MmBackward0", "AddBackward0"]
    assert by_name(states[i + 1])["input"].grad_fn == "AddBackward0"  # forward's locals
    assert seen[i + 2] == (19, "<module>")  # out of forward, back to the next line
    # forward ran under no_grad (clamp made no node); apply() then made the custom node
    assert ops(states[i + 2]) == ["MyReLUBackward"]
    kinds = {n.op: n.kind.value for n in states[i + 2].graph.nodes}
    assert kinds["MyReLUBackward"] == "custom"


def test_step_into_a_user_function_and_step_over_inside_it(driver):
    src = "def f(v):\n    u = v * 2\n    return u + 1\nx = 1\ny = f(x)\nz = y\n"
    lines = [s.line for s in driver(src).run(into)[0]]
    assert lines == [1, 4, 5, 2, 3, 6, None]
    lines = [s.line for s in driver(src).run(over)[0]]
    assert lines == [1, 4, 5, 6, None]


def test_plain_python_lines_step_without_torch(driver):
    states, result = driver("a = 1\nb = a + 1\nprint(b)\n").run(over)
    assert [s.line for s in states] == [1, 2, 3, None]
    assert result.output == "2\n"


LOOP = """\
import torch
w = torch.tensor(1.0, requires_grad=True)
total = 0
for i in range(6):
    y = w * i
    total = total + i

print(total)
"""


def test_breakpoint_and_continue(driver):
    states, result = driver(LOOP).run(lambda s: "continue_", start="continue_",
                                      breakpoints=[5])
    assert [s.line for s in states[:-1]] == [5] * 6
    assert result.status == "finished" and result.output == "15\n"


def test_conditional_breakpoint_stops_only_when_true(driver):
    d = driver(LOOP)
    d.session.set_watches(["i", "total", "nope"])
    states, _ = d.run(lambda s: "continue_", start="continue_", breakpoints={5: "i % 2 == 1"})
    assert [s.line for s in states[:-1]] == [5, 5, 5]
    assert [dict(s.watches)["i"] for s in states[:-1]] == ["1", "3", "5"]
    assert dict(states[0].watches)["nope"] == "NameError: name 'nope' is not defined"


def test_breakpoint_on_a_blank_line_stops_at_the_next_statement(driver):
    states, _ = driver(LOOP).run(lambda s: "continue_", start="continue_", breakpoints=[7])
    assert [s.line for s in states] == [8, None]


def test_bad_condition_is_refused_at_once():
    from desktop.debugger import DebugSession

    with pytest.raises(SyntaxError):
        DebugSession(LOOP).set_breakpoint(5, "i >")


def test_breakpoints_changed_while_paused_apply(driver):
    d = driver(LOOP)

    def plan(state):
        if state.line == 2:
            d.session.set_breakpoint(6, "i == 4")
        return "continue_" if state.line != 1 else "step_over"

    states, _ = d.run(plan)
    assert [s.line for s in states] == [1, 2, 6, None]
    assert by_name(states[2])["y"].value == 4.0  # line 5 of that iteration ran: y = w * 4


def test_run_to_cursor(driver):
    d = driver(LOOP)
    d.session.set_watches(["i"])
    d.session.run_to_cursor(6)  # from idle: runs freely to line 6
    state = d.session.wait_stop()
    assert state.line == 6 and dict(state.watches)["i"] == "0"
    assert d.session.run_to_cursor(8)
    state = d.session.wait_stop()
    assert state.line == 8
    d.session.continue_()
    assert d.session.wait_stop() is None
    assert d.session.result.status == "finished"


def test_run_to_cursor_stops_at_an_earlier_breakpoint_first(driver):
    d = driver(LOOP)
    d.session.set_breakpoint(5, "i == 2")
    d.session.run_to_cursor(8)
    assert d.session.wait_stop().line == 5
    d.session.continue_()  # the cursor was a one-shot: not hit again
    assert d.session.wait_stop() is None


def test_a_condition_that_raises_stops_there_with_a_clear_message(driver):
    from desktop.debugger.describe import describe

    d = driver(LOOP)
    d.session.set_watches(["i"])
    # i = 2 divides by zero; i = 3 is true; i = 0, 1, 4, 5 are false
    states, result = d.run(lambda s: "continue_", start="continue_",
                           breakpoints={5: "1 / (i - 2) > 0.5"})
    assert result.status == "finished" and result.output == "15\n"
    assert [(s.line, dict(s.watches)["i"]) for s in states[:-1]] == [(5, "2"), (5, "3")]
    failed, true = states[:2]
    assert failed.warning == ("the condition of the breakpoint on line 5 (1 / (i - 2) > 0.5) "
                              "raised ZeroDivisionError: division by zero; stopped here so you "
                              "can fix it")
    assert true.warning == ""  # the message belongs to the stop it explains
    assert "Note: the condition of the breakpoint on line 5" in describe(failed)


def test_a_condition_naming_an_unknown_variable_stops_every_time_and_says_why(driver):
    d = driver(LOOP)
    d.session.set_watches(["i"])
    states, result = d.run(lambda s: "continue_", start="continue_",
                           breakpoints={5: "j > 1"})
    assert [dict(s.watches)["i"] for s in states[:-1]] == ["0", "1", "2", "3", "4", "5"]
    assert all("raised NameError: name 'j' is not defined" in s.warning for s in states[:-1])
    assert result.status == "finished"


def test_run_to_cursor_stops_on_a_conditional_breakpoints_line_whatever_the_condition(driver):
    d = driver(LOOP)
    d.session.set_breakpoint(5, "i == 100")
    d.session.run_to_cursor(5)
    assert d.session.wait_stop().line == 5
    d.session.continue_()  # the cursor was a one-shot and the condition is never true
    assert d.session.wait_stop() is None


def test_continue_with_breakpoints_still_steps_line_by_line_after_a_stop():
    # during a Continue, script lines skip bdb (a cheap local trace); a stop must bring
    # line stepping back to every frame, and a Continue the cheap path again
    from desktop.debugger import DebugSession

    s = DebugSession(LOOP)
    s.set_watches(["i"])
    s.set_breakpoint(5)
    s.continue_()
    assert s.wait_stop().line == 5
    s.step_over()
    assert s.wait_stop().line == 6
    s.step_over()
    assert s.wait_stop().line == 4
    s.continue_()
    state = s.wait_stop()
    assert state.line == 5 and dict(state.watches)["i"] == "1"  # the next iteration
    s.set_breakpoints([])
    s.continue_()
    assert s.wait(5.0).output == "15\n"


def test_a_breakpoint_set_while_a_traced_continue_runs_is_honoured():
    import time

    from desktop.debugger import DebugSession

    s = DebugSession("i = 0\nwhile True:\n    i += 1\n    if i < 0:\n        print(i)\n")
    s.set_breakpoint(5)  # never hit: the Continue is traced, every line takes the cheap path
    s.continue_()
    time.sleep(0.2)
    with pytest.raises(TimeoutError):
        s.wait_stop(0.0)  # still running
    s.set_breakpoint(3)
    assert s.wait_stop(5.0).line == 3
    s.stop()
    assert s.wait(5.0).status == "stopped"
