"""Stepping back through recorded states, the history cap, Stop on runaway scripts, the step
cap, exceptions at the failing line, restart and output."""

import time

import numpy as np
from debug_driver import over, stepping_into
from seed_programs import SEED_LINEAR

from desktop.debugger import DebugSession
from desktop.debugger.history import History


def by_name(state):
    return {t.name: t for t in state.tensors}


def test_step_back_shows_past_states_not_the_present(driver):
    d = driver(SEED_LINEAR)
    states, _ = d.run(stepping_into(8))
    s = d.session
    assert s.history.position == len(states) - 1 and not s.history.viewing_past
    viewed = []
    s.on_view = viewed.append
    back = s.step_back()  # from "end" to line 9
    assert back.line == 9 and viewed == [back] and s.history.viewing_past
    at = {st.label: st for st in states}
    # before backward: no grads, graph not freed; mid-backward: b has its grad, w not yet
    line8 = at["line 8"]
    assert by_name(line8)["w"].grad is None and not any(n.freed for n in line8.graph.nodes)
    mid = at["backward: AccumulateGrad (b)"]
    assert by_name(mid)["b"].grad is not None and by_name(mid)["w"].grad is None
    assert s.go_to(states.index(mid)) is mid
    assert s.step_back().label == "backward: AddBackward0 (Y_hat)"
    assert s.step_forward() is mid
    # line 6 came before Y_hat existed: its graph has only the leaves
    line6 = s.go_to(5)
    assert line6.label == "line 6" and "Y_hat" not in by_name(line6)
    assert {n.op for n in line6.graph.nodes} <= {"AccumulateGrad", "const"}
    assert s.go_to(10_000).kind == "finished" and not s.history.viewing_past
    assert s.go_to(-5).index == 0


def test_unchanged_values_are_shared_between_states(driver):
    states, _ = driver(SEED_LINEAR).run(over)
    w8 = by_name(states[7])["w"]
    assert by_name(states[6])["w"] is w8  # same frozen object: no copy per stop
    assert by_name(states[8])["w"] is not w8  # w.grad changed after backward
    nodes6 = {n.id: n for n in states[6].graph.nodes}
    assert any(n is nodes6.get(n.id) for n in states[7].graph.nodes)


def test_history_cap_keeps_the_latest_states_with_a_note(driver):
    d = driver("for i in range(30):\n    x = i\n", max_states=10)
    states, result = d.run(over)
    assert len(states) == 10 and result.status == "finished"
    assert states[-1].index == 61 and states[0].index == 52
    assert d.session.history.note == "history keeps the last 10 stops; 52 older stops dropped"
    assert states[-1].note.startswith("history keeps the last 10 stops; ")


def test_history_navigation_unit():
    h = History(max_states=3)
    assert h.back() is None and h.current() is None
    from desktop.debugger.history import DebugState
    from desktop.model import GraphSnapshot

    for i in range(4):
        h.append(DebugState(i, "line", i + 1, "<module>", 1, f"line {i + 1}", GraphSnapshot(), ()))
    assert h.labels() == ["line 2", "line 3", "line 4"] and h.dropped == 1
    assert h.back().label == "line 3" and h.position == 1
    h.append(DebugState(4, "line", 5, "<module>", 1, "line 5", GraphSnapshot(), ()))
    assert h.position == 2 and h.current().label == "line 5"  # a new stop returns to now


def _stop_within_a_second(source, **kw):
    done = []
    s = DebugSession(source, on_finished=done.append, **kw)
    s.continue_()
    time.sleep(0.3)
    assert s.status == "running"
    t0 = time.monotonic()
    s.stop()
    result = s.wait(2.0)
    elapsed = time.monotonic() - t0
    assert result is not None and result.status == "stopped"
    assert elapsed < 1.0, elapsed
    assert done == [result]
    return result


def test_stop_ends_an_infinite_loop_at_module_level():
    result = _stop_within_a_second("x = 0\nwhile True:\n    pass\n")
    assert result.error.kind == "Stopped" and result.error.message == "stopped by user"
    assert result.error.line in (2, 3)


def test_stop_ends_an_infinite_loop_in_an_untraced_function():
    # Continue with no breakpoints does not trace function frames: Stop must still work
    result = _stop_within_a_second("def spin():\n    while True:\n        pass\nspin()\n")
    assert result.status == "stopped" and not result.extras.get("abandoned")


def test_stop_ends_a_loop_that_swallows_exceptions():
    src = "while True:\n    try:\n        pass\n    except BaseException:\n        pass\n"
    result = _stop_within_a_second(src)
    assert result.status == "stopped"


def test_stop_while_paused_and_while_inside_a_backward_step(driver):
    d = driver(SEED_LINEAR)
    d.session.step_into()
    assert d.session.wait_stop().line == 1
    d.session.stop()
    assert d.session.wait(1.0).status == "stopped"
    d = driver(SEED_LINEAR)
    d.session.run_to_cursor(8)
    assert d.session.wait_stop().line == 8
    d.session.step_into()
    assert d.session.wait_stop().kind == "backward"
    d.session.stop()
    result = d.session.wait(1.0)
    assert result.status == "stopped" and result.error.line == 8


def test_commands_return_at_once_while_the_script_runs():
    s = DebugSession("while True:\n    pass\n")
    s.continue_()
    time.sleep(0.1)
    t0 = time.monotonic()
    assert s.step_over() is False and s.step_into() is False and s.continue_() is False
    assert time.monotonic() - t0 < 0.05
    s.stop()
    assert s.wait(2.0).status == "stopped"


def test_step_cap_ends_the_run_with_a_clear_message():
    # the cap counts traced lines: stepping, or Continue with breakpoints (line 4 is never
    # reached); a Continue with no breakpoint runs untraced and is ended by Stop
    s = DebugSession("i = 0\nwhile True:\n    i += 1\n    if i < 0:\n        print(i)\n",
                     max_steps=500)
    s.set_breakpoint(5)
    s.continue_()
    result = s.wait(5.0)
    assert result.status == "stopped"
    assert result.error.message == ("step limit reached: the debugger executed 500 lines of "
                                    "the script and stopped it")
    assert result.extras["steps"] == 501


def test_exception_stops_at_the_failing_line_with_its_message(driver):
    src = "def f(v):\n    return v / 0\nx = 1\ny = f(x)\nprint('never')\n"
    d = driver(src)
    d.session.set_watches(["v", "x"])
    d.session.continue_()
    state = d.session.wait_stop()
    assert state.kind == "error" and state.function == "f" and state.line == 2
    assert (state.error.kind, state.error.message) == ("ZeroDivisionError", "division by zero")
    assert [ln for _, ln, _ in state.error.traceback] == [4, 2]
    assert dict(state.watches) == {"v": "1", "x": "1"}  # the failing frame, still alive
    d.session.continue_()
    assert d.session.wait_stop() is None
    result = d.session.result
    assert result.status == "error" and result.error.line == 2 and result.output == ""


def test_pytorch_errors_keep_their_message(driver):
    src = ("import torch\nx = torch.ones(3, requires_grad=True)\ny = x * 2\n"
           "y.backward()\n")
    d = driver(src)
    d.session.continue_()
    state = d.session.wait_stop()
    assert state.kind == "error" and state.line == 4
    assert state.error.message == "grad can be implicitly created only for scalar outputs"


def test_syntax_error_finishes_at_once(driver):
    d = driver("x = (1,\n")
    d.session.step_into()
    assert d.session.wait_stop() is None
    err = d.session.result.error
    assert d.session.result.status == "error" and err.kind == "SyntaxError" and err.line == 1


def test_output_is_reported_as_it_is_printed(driver):
    d = driver("print('a')\nprint('b')\n")
    d.session.step_into()
    d.session.wait_stop()
    d.session.step_over()
    assert d.session.wait_stop().output_len == 2 and d.text() == "a\n"
    d.session.continue_()
    assert d.session.wait(2).output == "a\nb\n" and d.text() == "a\nb\n"


def test_restart_runs_again_from_the_first_line(driver):
    d = driver("x = 1\ny = 2\n")
    d.session.step_into()
    d.session.wait_stop()
    d.session.step_over()
    assert d.session.wait_stop().line == 2
    d.session.restart()
    assert d.session.wait_stop().line == 1
    assert len(d.session.history) == 1
    assert d.finished == []  # the replaced run ends quietly


def test_watches_are_evaluated_without_adding_nodes(driver):
    d = driver("import torch\nw = torch.ones(2, requires_grad=True)\ny = w * 3\nz = y\n")
    d.session.set_watches(["(w * 2).sum()", "y"])
    states, _ = d.run(over)
    at4 = states[3]
    assert dict(at4.watches)["(w * 2).sum()"] == "tensor(4.)"
    assert dict(at4.watches)["y"].startswith("tensor([3., 3.]")
    assert [op for s in states for _, op in s.new_nodes] == ["MulBackward0"]
    np.testing.assert_allclose(by_name(at4)["y"].value, [3.0, 3.0])


def test_a_breakpoint_set_during_a_free_run_takes_effect():
    # Continue with no breakpoint runs untraced; the engine's next op brings tracing back
    src = ("import torch\nw = torch.ones(1, requires_grad=True)\ni = 0\nwhile True:\n"
           "    y = w * i\n    i += 1\n")
    s = DebugSession(src)
    s.set_watches(["i > 0"])
    s.continue_()
    time.sleep(0.2)
    assert s.status == "running"
    s.set_breakpoint(6)
    state = s.wait_stop(5)
    assert state.line == 6 and dict(state.watches) == {"i > 0": "True"}
    s.stop()
    assert s.wait(2).status == "stopped"


def test_sys_exit_ends_the_run_without_an_error_stop(driver):
    d = driver("import sys\nx = 1\nsys.exit(0)\nx = 2\n")
    states, result = d.run(lambda s: "continue_", start="continue_")
    assert result.status == "finished" and [s.kind for s in states] == ["finished"]
    d = driver("import sys\nsys.exit(3)\n")
    states, result = d.run(lambda s: "continue_", start="continue_")
    assert result.status == "error" and result.error.kind == "SystemExit" and states == []


def test_stop_twice_is_harmless(driver):
    d = driver("while True:\n    pass\n")
    d.session.continue_()
    time.sleep(0.1)
    d.session.stop()
    d.session.stop()
    assert d.session.wait(2).status == "stopped" and len(d.finished) == 1


def test_stop_abandons_a_script_stuck_in_a_long_c_call():
    done = []
    s = DebugSession("import time\ntime.sleep(30)\n", on_finished=done.append)
    s.continue_()
    time.sleep(0.2)
    t0 = time.monotonic()
    s.stop()
    result = s.wait(3)
    assert time.monotonic() - t0 < 1.5
    assert result.status == "stopped" and result.extras["abandoned"] and done == [result]


def test_a_runaway_watch_is_stopped_and_stepping_goes_on(driver, monkeypatch):
    import desktop.debugger.run as run

    monkeypatch.setattr(run, "WATCH_LIMIT", 0.3)
    d = driver(SEED_LINEAR)
    # runs Python bytecode forever (a single C call such as sum(range(10**12)) could not be
    # interrupted by any in-process limit)
    forever = "any(x for x in iter(int, 1))"
    d.session.set_watches([forever, "1 + 1"])
    t0 = time.monotonic()
    states, result = d.run(stepping_into(8))
    lines = [s for s in states if s.kind == "line"]
    assert len(lines) >= 3 and result.status == "finished"
    for s in lines:
        assert dict(s.watches) == {forever: "(stopped: still running after 0.3 s)", "1 + 1": "2"}
    # into backward too: the interrupt sent to the watch must not disturb the traced thread
    assert any(s.kind == "backward" for s in states)
    assert time.monotonic() - t0 < 0.3 * len(lines) + 10


def test_stop_ends_a_breakpoint_condition_that_never_returns():
    s = DebugSession("x = 1\ny = 2\n")
    s.set_breakpoint(2, "any(x for x in iter(int, 1))")  # evaluated at line 2, forever
    s.continue_()
    time.sleep(0.3)
    assert s.status == "running"
    t0 = time.monotonic()
    s.stop()
    result = s.wait(2.0)
    assert time.monotonic() - t0 < 1.0
    assert result.status == "stopped" and result.error.line == 2
    assert not result.extras.get("abandoned")  # interrupted, not left behind
