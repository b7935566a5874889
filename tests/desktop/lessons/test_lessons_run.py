"""Every lesson runs and the results its explanation promises hold, on the engine and on torch."""

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
        ("loss.backward", "z.backward", "y.sum().backward"))
