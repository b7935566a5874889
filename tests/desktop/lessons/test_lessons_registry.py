"""The lesson registry and the checker's verdicts (a wrong promise must be caught)."""

import pytest

from desktop import lessons
from desktop.lessons import Expect, ExpectError, ExpectOutput, Lesson, check_code
from desktop.lessons.check import compare

ARTICLE_TOPICS = {
    "forward-runs-now", "graph-freed", "saved-tensors", "custom-function", "leaf-nodes", "stop-being-leaf",
    "retain-grad-hooks", "weighted-outputs", "second-derivative", "several-inputs",
}
TRAINING_TOPICS = {
    "linear-sgd", "logistic-regression", "small-mlp", "grad-accumulation", "no-grad-detach",
    "inplace-error", "backprop-by-hand",
}


def test_registry_covers_every_topic_once_in_teaching_order():
    ids = lessons.ids()
    assert len(ids) == len(set(ids))
    assert set(ids) == ARTICLE_TOPICS | TRAINING_TOPICS
    assert ids[0] == "forward-runs-now"
    topics = [lesson.topic for lesson in lessons.all_lessons()]
    assert topics == sorted(topics, key=lambda t: t != "article")  # article lessons first


def test_get_returns_the_lesson_and_names_known_ids_when_unknown():
    assert lessons.get("leaf-nodes").title.startswith("Leaf tensors")
    with pytest.raises(KeyError, match="known lessons: forward-runs-now"):
        lessons.get("no-such-lesson")
    assert lessons.find("no-such-lesson") is None
    assert lessons.find(None) is None


@pytest.mark.parametrize("lesson", lessons.all_lessons(), ids=lambda lesson: lesson.id)
def test_each_lesson_has_words_watch_points_and_checks(lesson):
    compile(lesson.code, lesson.id, "exec")
    assert "import torch" in lesson.code
    assert len(lesson.explanation.split()) >= 60
    assert lesson.watch and all(item.strip() for item in lesson.watch)
    assert len(lesson.expected) >= 3


def test_wrong_value_fails_and_says_what_it_got():
    report = check_code("import torch\nx = torch.tensor([1.0, 2.0])\n", [("x", [1.0, 3.0])])
    assert not report.ok
    assert "should be [1.0, 3.0]" in report.failures[0].message
    assert "tensor([1., 2.])" in report.failures[0].message


def test_unexpected_error_fails_even_if_values_hold():
    report = check_code("x = 1\nraise ValueError('boom')\n", [("x", 1)])
    assert not report.ok
    assert "ValueError: boom (line 2)" in report.failures[0].message


def test_expected_error_must_match_kind_message_and_line():
    code = "import torch\nx = torch.ones(2)\nx.sum(dim=5)\n"
    assert check_code(code, [ExpectError("IndexError", "out of range", line=3)]).ok
    assert not check_code(code, [ExpectError("IndexError", "out of range", line=2)]).ok
    assert not check_code(code, [ExpectError("RuntimeError", "out of range", line=3)]).ok
    assert not check_code("x = 1\n", [ExpectError("RuntimeError", "", line=1)]).ok


def test_expected_output_and_unevaluable_expression():
    assert check_code("print('hello there')\n", [ExpectOutput("hello")]).ok
    assert not check_code("print('hi')\n", [ExpectOutput("hello")]).ok
    report = check_code("x = 1\n", [Expect("y", 1)])
    assert not report.ok and "NameError" in report.failures[0].message


def test_error_marker_must_name_exactly_one_line():
    with pytest.raises(ValueError, match="matches 2 lines"):
        Lesson("x", "t", "a = 1\na = 1\n", "e", ("w",), (ExpectError("E", "", at="a = 1"),))
    with pytest.raises(TypeError):
        Lesson("x", "t", "a = 1\n", "e", ("w",), ("not an expectation",))


@pytest.mark.parametrize(("actual", "expected", "ok"), [
    (None, None, True),
    (0.0, None, False),
    (True, True, True),
    (1, True, False),          # a bool promise is not met by a number
    ("MulBackward0", "MulBackward0", True),
    (2.0, 2.00001, True),
    (2.0, 2.01, False),
    ([[1.0, 2.0]], [1.0, 2.0], False),   # shapes must agree
    (None, 0.0, False),
])
def test_compare(actual, expected, ok):
    assert compare(actual, expected) is ok


def test_compare_reads_engine_tensors():
    import engine

    assert compare(engine.tensor([[4.0, 4.0]]), [[4.0, 4.0]])
    assert compare(engine.tensor(2.0, requires_grad=True) * 1, 2.0)
