"""Every lesson runs and the results its explanation promises hold, on the engine and on torch."""

import numpy as np
import pytest

from desktop import lessons

LESSONS = lessons.all_lessons()


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_lesson_expected_results_hold_on_engine(lesson):
    report = lessons.check_lesson(lesson)
    assert report.ok, f"{lesson.id}:\n{report.summary()}\n--- output ---\n{report.run.output}"
    assert len(report.outcomes) == len(lesson.expected)


@pytest.mark.torch
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_lesson_expected_results_hold_on_real_torch(lesson):
    pytest.importorskip("torch")
    report = lessons.check_lesson(lesson, backend="torch")
    assert report.ok, f"{lesson.id}:\n{report.summary()}\n--- output ---\n{report.run.output}"


@pytest.mark.parametrize("lesson", [x for x in LESSONS if x.expected_error],
                         ids=lambda lesson: lesson.id)
def test_lesson_guided_error_is_reported_at_its_line(lesson):
    expected = lesson.expected_error
    report = lessons.check_lesson(lesson)
    assert report.run.status == "error"
    assert report.run.error_line == expected.resolve_line(lesson.code)
    assert lesson.code.splitlines()[report.run.error_line - 1].strip().startswith(
        ("loss.backward", "z.backward", "y.sum().backward", "print(y.grad_fn._saved_self)"))


def _perturbed(e):
    """The same expression promised a different result: the check must reject it."""
    from desktop.lessons import Expect

    value = e.value
    if value is None:
        other = 0.0
    elif isinstance(value, bool):
        other = not value
    elif isinstance(value, str):
        other = value + "x"
    else:
        other = (np.asarray(value, dtype=float) + 10 * e.tol + 0.5).tolist()
    return Expect(e.expr, other, e.tol)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_check_of_every_lesson_fails_when_the_result_differs(lesson):
    from desktop.lessons import Expect, ExpectError, ExpectOutput

    wrong, other_kind = [], []
    for e in lesson.expected:
        if isinstance(e, ExpectError):  # at another line, and of another kind
            line = e.resolve_line(lesson.code)
            wrong.append(ExpectError(e.kind, e.message, line=line - 1))
            other_kind.append(ExpectError("ValueError", e.message, line=line))
        elif isinstance(e, ExpectOutput):
            wrong.append(ExpectOutput(e.text + " (not printed)"))
        else:
            wrong.append(_perturbed(e))
    assert all(isinstance(w, Expect | ExpectOutput | ExpectError) for w in wrong)
    for promises in (wrong, other_kind) if other_kind else (wrong,):
        report = lessons.check_code(lesson.code, promises, lesson.id)
        passed = [o.message for o in report.outcomes if o.ok]
        assert not passed, f"{lesson.id}: these checks accept a different result: {passed}"
