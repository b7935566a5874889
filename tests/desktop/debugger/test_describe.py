"""Plain-language accounts of debugger stops."""

import numpy as np
from debug_driver import over, stepping_into
from seed_programs import SEED_GRAD_TENSORS, SEED_HOOKS, SEED_LINEAR

from desktop.debugger.describe import describe, fmt

RETAIN = """\
import torch
w = torch.tensor(2.0, requires_grad=True)
y = w * w
y.backward(retain_graph=True)
y.backward()
"""


def test_fmt():
    assert fmt(None) == "None" and fmt(np.array(2.5)) == "2.5"
    assert fmt(np.array([1.0, 2.0])) == "[1., 2.]"
    assert fmt(np.arange(20.0).reshape(10, 2)) == "[10, 2] values in [0, 19]"
    assert fmt(np.full((10, 1), 0.1)) == "[10, 1] all 0.1"


def test_line_stops_say_what_the_last_step_built(driver):
    states, _ = driver(SEED_LINEAR).run(over)
    assert describe(states[0]) == "Paused before line 1."
    assert describe(states[6]) == ("Paused before line 7. The last step (line 6) added to the "
                                   "graph: TBackward0, MmBackward0, AddBackward0.")
    assert describe(states[-1]) == "The script finished."


def test_backward_steps_show_sums_and_accumulation(driver):
    states, _ = driver(SEED_GRAD_TENSORS).run(stepping_into(10))
    text = {s.backward.label: describe(s) for s in states if s.kind == "backward"}
    assert text["loss"].splitlines() == [
        "Backward call 1, node 1: CatBackward0 (loss) ran.",
        "  grad in: [1., 2.]",
        "  sent to MulBackward0 (y0): [1.]",
        "  sent to AddBackward0 (y1): [2.]"]
    assert "  AccumulateGrad (w) reached 2 times: its grad is summed, [5.] + [4.] = [9.]" in \
        text["a"].splitlines()
    assert "  w.grad was None, now [9.]" in text["w"].splitlines()


def test_hooks_retain_grad_freeing_and_the_end(driver):
    states, _ = driver(SEED_HOOKS).run(stepping_into(10))
    steps = [describe(s) for s in states if s.kind == "backward"]
    assert "  loss.retain_grad(): .grad = 1" in steps[0].splitlines()
    add = next(t for t in steps if "AddBackward0 (Y_hat) ran." in t)
    assert "  hook <lambda> on Y_hat called with [10, 1] values in [" in add
    assert "returned None (grad unchanged)" in add
    pow_ = next(t for t in steps if "PowBackward0 ran." in t)
    assert pow_.splitlines()[-1] == "  saved tensors freed: PowBackward0"
    end = describe(next(s for s in states if s.kind == "backward_end"))
    assert end.splitlines()[0] == "Backward call 1 finished: 8 nodes ran."
    assert "a second backward through them raises an error unless retain_graph=True" in end
    assert "Grads of non-leaf tensors (Y_hat) are not kept" in end  # loss retains its grad


def test_second_pass_shows_the_leaf_grad_adding_up(driver):
    states, _ = driver(RETAIN).run(stepping_into(4, 5))
    acc = [describe(s) for s in states if s.kind == "backward" and s.backward.label == "w"]
    assert acc[0].splitlines()[-1] == "  w.grad was None, now 4"
    assert acc[1].splitlines()[-1] == "  w.grad += 4: 4 -> 8"
    ends = [describe(s) for s in states if s.kind == "backward_end"]
    assert "retain_graph: saved tensors were kept" in ends[0]
    assert "MulBackward0" in ends[1] and "were freed" in ends[1]
