"""Reading a learner's answer and naming the classic backprop mistakes."""

import numpy as np
import pytest

from desktop.practice.answer import AnswerError, parse
from desktop.practice.mistakes import Context, judge


@pytest.mark.parametrize("text, expected", [
    ("4.5", 4.5),
    ("[[4.5, 4.5]]", [[4.5, 4.5]]),
    ("torch.tensor([[1, -2.5]])", [[1.0, -2.5]]),
    ("-3", -3.0),
])
def test_literals_are_read_without_running_code(text, expected):
    assert np.array_equal(parse(text), np.asarray(expected, dtype=np.float64))


def test_an_expression_in_the_scripts_names_is_evaluated_on_their_values():
    import engine as torch

    ns = {"Y_hat": torch.tensor([[1.0], [3.0]]), "Y": torch.tensor([[0.0], [1.0]]),
          "torch": torch}
    got = parse("2*(Y_hat - Y)/2", ns)
    assert got.tolist() == [[1.0], [2.0]]


def test_an_evaluator_given_by_the_caller_runs_expressions():
    calls = []
    got = parse("x * 2", evaluate=lambda e: calls.append(e) or np.array([4.0]))
    assert calls == ["x * 2"] and got.tolist() == [4.0]


@pytest.mark.parametrize("text, message", [
    ("", "type a number"),
    ("[[1, 2], [3]]", "same length"),
    ("1 +", "not Python syntax"),
    ("undefined_name * 2", "NameError"),
    ("'text'", "not a number or a tensor"),
])
def test_bad_answers_say_what_is_wrong(text, message):
    with pytest.raises(AnswerError, match=message):
        parse(text, {})


def test_names_without_a_paused_script_are_refused():
    with pytest.raises(AnswerError, match="paused"):
        parse("w * 2")


E = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def test_right_within_float32_rounding_and_a_scalar_for_a_one_element_grad():
    assert judge(E * (1 + 3e-5), E).correct
    assert judge(4.5, np.array([[4.5]])).correct
    assert not judge(E * 1.01, E).correct


def test_transposed():
    v = judge(E.T, E, Context(target="W1"))
    assert v.mistake == "transposed" and "`W1`" in v.message and "[2, 3]" in v.message
    square = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert judge(square.T, square).mistake == "transposed"


def test_missing_sum_over_the_broadcast_batch_axis_names_it_and_the_tensor():
    per_sample = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    b_grad = per_sample.sum(0)  # b of shape [2] was broadcast over 3 rows
    v = judge(per_sample, b_grad, Context(target="b"))
    assert v.mistake == "missing_sum"
    assert v.message.startswith("you forgot to sum over the batch axis (dim 0) that `b` was "
                                "broadcast along")
    kept = per_sample.sum(0, keepdims=True)  # b of shape [1, 2]
    assert judge(per_sample, kept, Context(target="b")).mistake == "missing_sum"
    cols = per_sample.sum(1, keepdims=True)  # shape [3, 1]: broadcast along dim 1
    assert "dim 1" in judge(per_sample, cols).message


def test_a_sum_where_nothing_was_broadcast():
    v = judge(E.sum(0), E, Context(target="H"))
    assert v.mistake == "extra_sum" and "`H` was not broadcast" in v.message


def test_other_shapes_are_named_with_both_shapes():
    v = judge(np.zeros((4,)), E)
    assert v.mistake == "shape" and "[2, 3]" in v.message and "[4]" in v.message


def test_relu_mask_forgotten():
    g = np.array([[0.3, -0.2, 0.5]])
    expected = g * np.array([[1.0, 0.0, 1.0]])
    v = judge(g, expected, Context("ReluBackward0", incoming=g, target="Z"))
    assert v.mistake == "missing_mask" and "1[x > 0]" in v.message
    wrong_where_blocked = expected + np.array([[0.0, 0.7, 0.0]])
    assert judge(wrong_where_blocked, expected,
                 Context("MyReLUBackward")).mistake == "missing_mask"


def test_sign_error():
    assert judge(-E, E).mistake == "sign"


@pytest.mark.parametrize("k, words", [(21, "21 times too large: did you forget to divide by 21"),
                                      (0.5, "2 times too small"), (1.7, "times 1.7")])
def test_constant_factor(k, words):
    v = judge(E * k, E)
    assert v.mistake == "factor" and words in v.message


def test_anything_else_is_just_wrong():
    v = judge(E + np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]), E)
    assert v.mistake == "wrong" and not v.correct
