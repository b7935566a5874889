"""Step over goes one statement at a time: a statement spread over several lines is one stop
(at its first line), never revisited when its last bytecode runs on its first line again."""

from debug_driver import into, over

from desktop.debugger.tracer import statement_starts

SPREAD = """\
import torch
w = torch.tensor([1.0, 2.0], requires_grad=True)
loss = (
    (w * 3.0)
    .sum()
)
total = torch.stack([
    w[0],
    w[1],
]).sum()
loss.backward()
print(loss.item(), total.item())
"""

LOOP = """\
acc = 0
for i in range(3):
    acc = (acc
           + i)
def f(
    a,
    b,
):
    return (a
            * b)
r = f(2,
      3)
print(acc, r)
"""


def test_statement_starts_maps_continuation_lines_to_their_statement():
    owner = statement_starts(SPREAD)
    assert {k: owner[k] for k in (4, 5, 6)} == {4: 3, 5: 3, 6: 3}
    assert {k: owner[k] for k in (8, 9, 10)} == {8: 7, 9: 7, 10: 7}
    assert 3 not in owner and 11 not in owner  # lines that start a statement
    loop = statement_starts(LOOP)
    assert loop[4] == 3 and loop[6] == 5 and loop[8] == 5 and loop[10] == 9 and loop[12] == 11
    assert 9 not in loop  # the def's body starts its own statement
    assert statement_starts("x = (\n") == {}  # a syntax error: plain line stepping


def test_one_step_over_per_statement_however_many_lines(driver):
    d = driver(SPREAD)
    states, result = d.run(over)
    assert result.status == "finished", result.error
    assert [s.line for s in states] == [1, 2, 3, 7, 11, 12, None]
    assert d.text() == "9.0 3.0\n"
    # the stop at line 3 is before the statement: loss does not exist yet; at 7 it does
    assert "loss" not in {t.name for t in states[2].tensors}
    assert "loss" in {t.name for t in states[3].tensors}


def test_a_loop_and_a_call_each_stop_once_per_statement(driver):
    d = driver(LOOP)
    states, result = d.run(over)
    assert result.status == "finished", result.error
    assert [s.line for s in states] == [1, 2, 3, 2, 3, 2, 3, 2, 5, 11, 13, None]
    assert d.text() == "3 6\n"


def test_step_into_a_call_and_back_to_the_statement_it_came_from(driver):
    d = driver(LOOP)
    states, result = d.run(into)
    assert result.status == "finished", result.error
    lines = [s.line for s in states]
    # f's body is one statement (line 9); back in the caller nothing of line 11 is left to do
    assert lines[-4:] == [11, 9, 13, None]
    assert [s.function for s in states[-4:-1]] == ["<module>", "f", "<module>"]
