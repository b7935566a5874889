"""What predict mode asks at backward stops, and that every lesson exercise is asked."""

import numpy as np
import pytest

from desktop import lessons
from desktop.debugger import DebugSession
from desktop.practice.mistakes import judge
from desktop.practice.questions import (
    assigned_name,
    backward_question,
    explanation,
    forward_question,
)

WITH_EXERCISES = [lesson for lesson in lessons.all_lessons() if lesson.exercises]


def first_backward_states(code, calls=1):
    """Every stop of the first ``calls`` backward()/autograd.grad() calls, node by node."""
    lines = code.splitlines()
    done = []

    def plan(state):
        if state.kind == "backward_end":
            done.append(True)
        if len(done) >= calls:
            return "continue_"
        if state.kind == "backward" or (state.kind == "line" and any(
                k in lines[state.line - 1] for k in ("backward(", "grad("))):
            return "step_into"
        return "step_over"

    session = DebugSession(code)
    try:
        assert session.step_into() is not False
        state = session.wait_stop()
        while state is not None:
            assert len(session.history.states()) < 2000, "the plan never finished the run"
            assert getattr(session, plan(state))() is not False
            state = session.wait_stop()
        result = session.wait(5)
        states = session.history.states()
    finally:
        session.stop()
        session.wait(3)
    assert result.status in ("finished", "error")
    return [s for s in states if s.kind == "backward"]


def test_seven_lessons_and_the_seed_ones_have_exercises():
    ids = {lesson.id for lesson in WITH_EXERCISES}
    assert {"custom-function", "weighted-outputs", "second-derivative", "several-inputs",
            "backprop-by-hand"} <= ids
    assert len(ids & {"linear-sgd", "logistic-regression", "small-mlp"}) == 3


@pytest.mark.parametrize("lesson", WITH_EXERCISES, ids=lambda lesson: lesson.id)
def test_every_exercise_is_asked_and_the_engines_value_is_right(lesson):
    states = first_backward_states(lesson.code, calls=3)
    asked, seen = [], set()
    for s in states:
        q = backward_question(s, lesson.exercises, seen)
        if q is not None:
            asked.append(q)
            seen.add(q.exercise)
    hints = {q.hint for q in asked}
    assert {ex.hint for ex in lesson.exercises} <= hints, "an exercise matched no step"
    for q in asked:
        assert judge(q.expected, q.expected, q.context).correct
        assert q.prompt.endswith("?") and q.key


def test_custom_relu_question_and_the_mask_mistake():
    lesson = lessons.get("custom-function")
    states = first_backward_states(lesson.code)
    q = next(q for s in states if (q := backward_question(s, lesson.exercises))
             and q.context.op == "MyReLUBackward")
    assert q.prompt == ("MyReLUBackward (of `Y_hat`) receives g = [[0.3333, 0, 1]]. "
                        "What gradient does it send to `Z`?")
    assert np.allclose(q.expected, [[1 / 3, 0, 1]])
    v = judge(np.array([[1 / 3, 0.0, 1.0]]), q.expected, q.context)
    assert v.correct
    bias = next(q for s in states if (q := backward_question(s, lesson.exercises))
                and q.context.target == "b")
    v = judge(np.array([[1 / 3, 0.0, 1.0]]), bias.expected, bias.context)
    assert v.mistake == "missing_sum" and "`b`" in v.message
    assert "summed back to the input's shape [1, 1]" in explanation(bias)


def test_free_practice_asks_at_every_node_that_sends_a_grad():
    lesson = lessons.get("weighted-outputs")
    states = first_backward_states(lesson.code)
    questions = [backward_question(s) for s in states]
    assert all(q is not None for q in questions)
    acc = [q for q in questions if q.kind == "accumulate"]
    assert [q.context.target for q in acc] == ["w", "x"]
    assert acc[0].prompt == "`w.grad` receives [7] (it was None before). What is `w.grad` now?"


def test_forward_questions_ask_for_the_assigned_name():
    assert assigned_name("Y_hat = X @ w + b  # forward") == "Y_hat"
    assert assigned_name("loss.backward()") is None
    assert assigned_name("a, b = 1, 2") is None
    assert forward_question("    H = torch.tanh(Z)").startswith("What will `H` be after")
