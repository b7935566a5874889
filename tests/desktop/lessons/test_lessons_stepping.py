"""Lessons are meant to be stepped: each short one steps line by line to the same end as a
plain run, and a backward() line can be entered node by node."""

import numpy as np
import pytest

from desktop import lessons
from desktop.runner import run_script

debugger = pytest.importorskip("desktop.debugger")

SHORT = [x for x in lessons.all_lessons()
         if x.id not in ("linear-sgd", "logistic-regression", "small-mlp")]  # thousands of lines


def _step_to_end(session, command, limit=600):
    states = []
    for _ in range(limit):
        state = session.wait_stop(timeout=20)
        if state is None:
            return states
        states.append(state)
        command()
    raise AssertionError(f"still paused after {limit} steps")


@pytest.mark.parametrize("lesson", SHORT, ids=lambda lesson: lesson.id)
def test_lesson_steps_line_by_line_to_the_plain_run_result(lesson):
    plain = run_script(lesson.code)
    session = debugger.DebugSession()
    session.start(lesson.code, stop_at_start=True)
    states = _step_to_end(session, session.step_over)
    result = session.wait(timeout=20)
    assert result.status == plain.status
    if plain.error is not None:
        assert result.error.line == plain.error.line
        assert result.error.message == plain.error.message
    lines = [s.line for s in states if s.kind == "line"]
    assert lines[0] == 1 + next(i for i, t in enumerate(lesson.code.splitlines())
                                if t.startswith("import torch"))
    got = {t.name: t.grad for t in result.tensors}
    for info in plain.tensors:
        if info.grad is None:
            assert got[info.name] is None, info.name
        else:
            np.testing.assert_allclose(got[info.name], info.grad, rtol=1e-6, err_msg=info.name)


def test_leaf_nodes_lesson_backward_can_be_entered_node_by_node():
    lesson = lessons.get("leaf-nodes")
    backward_line = 1 + lesson.code.splitlines().index("loss.backward()")
    session = debugger.DebugSession()
    session.start(lesson.code, stop_at_start=True)
    while session.wait_stop(timeout=20).line != backward_line:
        session.step_over()
    states = []
    session.step_into()
    while (state := session.wait_stop(timeout=20)) is not None and state.kind.startswith("back"):
        states.append(state)
        session.step_into()
    session.stop()
    session.wait(timeout=20)  # the run ends, and detaches its observers, before the test does
    ops = [s.backward.op for s in states if s.kind == "backward"]
    assert ops[0] == "MeanBackward0"
    assert "AccumulateGrad" in ops
    assert states[-1].kind == "backward_end"
