"""The Backward step panel's content for real debugger stops: sums at a node reached twice,
leaf accumulation, hooks, retain_grad, freed nodes and discarded grads at the end, errors, and
the closed form filled in off the GUI thread."""

import numpy as np
from seed_programs import SEED_GRAD_TENSORS, SEED_HOOKS, SEED_LINEAR, SEED_MULTI

from desktop.debugger import DebugSession
from desktop.debugger.describe import fmt
from desktop.ui.backward_step_panel import BackwardStepPanel, state_html


def stepped(source, backward_line):
    """Every stop of ``source``, stepping into the backward() call on ``backward_line``."""
    s = DebugSession(source)
    s.step_into()
    state = s.wait_stop()
    while state is not None:
        into = state.kind == "backward" or state.line == backward_line
        (s.step_into if into and state.kind != "backward" else s.step_over)()
        state = s.wait_stop()
    assert s.wait(5).status in ("finished", "error")
    return s.history.states()


def plain(html_text, qtbot):
    panel = BackwardStepPanel()
    qtbot.addWidget(panel)
    panel.browser.setHtml(html_text)
    return " ".join(panel.text().split())


def test_a_node_reached_twice_shows_the_sum_and_the_leaf_its_total(qtbot):
    states = stepped(SEED_GRAD_TENSORS, 10)
    at = {s.label: s for s in states}
    # a = w + x is used by y1 (runs first) and y0: the second arrival is summed before a runs
    text = plain(state_html(at["backward: MulBackward0 (y0)"]), qtbot)
    assert "Summed at a node reached again AddBackward0 (a) reached 2 times: [2.] + [2.] = [4.]" \
        in text
    text = plain(state_html(at["backward: AddBackward0 (a)"]), qtbot)
    assert "AccumulateGrad (w) reached 2 times: [5.] + [4.] = [9.]" in text
    text = plain(state_html(at["backward: AccumulateGrad (w)"]), qtbot)
    assert "Incoming grad grad_output [9.]" in text
    assert "Accumulated into .grad w.grad None -> [9.]" in text


def test_hooks_and_retain_grad_are_listed_at_the_node_they_fired_on(qtbot):
    states = stepped(SEED_HOOKS, 10)
    steps = [s for s in states if s.kind == "backward"]
    mean = plain(state_html(steps[0]), qtbot)
    assert "retain_grad stored loss.grad 1" in mean and "Hooks fired" not in mean
    add = next(s for s in steps if s.backward.op == "AddBackward0")
    text = plain(state_html(add), qtbot)
    g = add.backward.hooks[0].grad
    assert f"Hooks fired <lambda> on Y_hat got {fmt(g)}; returned None" in text
    assert "retain_grad stored" not in text


def test_the_end_of_the_pass_lists_freed_nodes_and_discarded_grads(qtbot):
    states = stepped(SEED_LINEAR, 8)
    end = next(s for s in states if s.kind == "backward_end")
    text = plain(state_html(end), qtbot)
    assert text.startswith("Backward pass 1 done 8 nodes ran · line 8")
    # in the order they were freed, and in the script's order of names
    assert "Freed nodes PowBackward0, MmBackward0" in text
    assert "Non-leaf grads discarded Y_hat, loss" in text


def test_errors_show_their_kind_line_and_message(qtbot):
    src = "import torch\nx = torch.ones(3, requires_grad=True)\n(x * 2).backward()\n"
    states = stepped(src, 0)
    text = plain(state_html(states[-1]), qtbot)
    assert text == ("RuntimeError at line 3 grad can be implicitly created only for scalar "
                    "outputs")


def test_the_closed_form_arrives_after_the_step_is_shown(qtbot):
    states = stepped(SEED_LINEAR, 8)
    pw = next(s for s in states if s.kind == "backward" and s.backward.op == "PowBackward0")
    panel = BackwardStepPanel()
    qtbot.addWidget(panel)
    panel.show_state(pw)
    if panel.derivative() is None:  # computed in a worker: the panel says so meanwhile
        assert "computing the closed form…" in panel.text()
        qtbot.waitUntil(lambda: panel.derivative() is not None, timeout=20000)
    text = " ".join(panel.text().split())
    assert "∂out/∂a 2*a" in text and "closed form from symbolic (sympy)" in text
    assert "computing" not in text
    np.testing.assert_allclose(pw.backward.grads_in[0], np.full((10, 1), 0.1), rtol=1e-6)
    assert "Incoming grad grad_output [10, 1] all 0.1" in text


def test_an_autograd_grad_input_says_its_grad_is_returned_not_added_to_grad(qtbot):
    states = stepped(SEED_MULTI, 6)
    x1 = next(s for s in states if s.label == "backward: AccumulateGrad (x1)")
    panel = BackwardStepPanel()
    qtbot.addWidget(panel)
    panel.show_state(x1)
    text = " ".join(panel.text().split())
    assert "Returned, not accumulated autograd.grad() returns this grad for x1; x1.grad is not " \
        "changed" in text
    assert "Local derivative" not in text and "adds the incoming grad" not in text
    assert "Incoming grad grad_output 2" in text
    assert "autograd.grad() returns this grad for x1; x1.grad is not changed" in text.split(
        "In words")[1]
    # a backward() pass still shows the leaf's accumulation
    acc = next(s for s in stepped(SEED_LINEAR, 8) if s.label == "backward: AccumulateGrad (b)")
    panel.show_state(acc)
    assert "Returned, not accumulated" not in panel.text() and "Local derivative" in panel.text()


def test_a_closed_form_no_stop_shows_any_more_is_not_computed_until_asked_again(qtbot):
    import threading

    from desktop.ui.backward_step_panel import DerivativeCache

    cache = DerivativeCache()
    key = ("MulBackward0", ((1,), (1,)), None)
    wanted = [False]
    assert cache.get(key, lambda k: wanted[0]) is None
    # the worker begins after START_DELAY, sees the stop was left, and does nothing
    qtbot.waitUntil(lambda: key not in cache._started, timeout=5000)
    qtbot.waitUntil(lambda: not any(t.name == "local-derivative"
                                    for t in threading.enumerate()), timeout=5000)
    assert key not in cache.done
    wanted[0] = True
    with qtbot.waitSignal(cache.ready, timeout=20000) as got:
        assert cache.get(key, lambda k: wanted[0]) is None
    assert got.args[0] == key and got.args[1].op == "MulBackward0"


def test_stepping_on_through_stops_starts_no_closed_form_but_staying_on_one_does(qtbot):
    import threading

    states = stepped(SEED_LINEAR, 8)
    steps = [s for s in states if s.kind == "backward"]
    pw = next(s for s in steps if s.backward.op == "PowBackward0")
    other = next(s for s in steps if s.backward.op != "PowBackward0")
    panel = BackwardStepPanel()
    qtbot.addWidget(panel)
    panel.show_state(pw)
    panel.show_state(other)  # stepped on before the worker began (and stays there)
    qtbot.waitUntil(lambda: not any(t.name == "local-derivative"
                                    for t in threading.enumerate()), timeout=10000)
    qtbot.wait(50)  # a late result is delivered queued
    from desktop.ui.backward_step_panel import derivative_key

    assert derivative_key(pw) not in panel.cache.done
    assert derivative_key(other) in panel.cache.done
    panel.show_state(pw)  # back, and staying: now it is derived
    qtbot.waitUntil(lambda: panel.derivative() is not None, timeout=20000)
    assert "closed form from symbolic (sympy)" in panel.text()


def test_a_node_name_several_rows_share_is_described_by_its_own_row(qtbot):
    from desktop.ui.backward_step_panel import derivative_html, derivative_key

    source = """\
import torch
y = torch.tensor(2.0, requires_grad=True)
x = torch.zeros(3)
x[0] = y * 3
x.sum().backward()
"""
    states = stepped(source, 5)
    copy = next(s for s in states if s.kind == "backward" and s.backward.op == "CopySlices")
    assert copy.backward.row == "setitem"  # not another CopySlices row, e.g. a circular pad
    assert derivative_key(copy)[3] == "setitem"
    text = plain(derivative_html(None, "CopySlices", copy.backward.row), qtbot)
    assert "a[idx] = v" in text and "pad" not in text
