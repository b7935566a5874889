"""Backward stops derive their graph from the previous stop's (fast path): it must equal the
recorder's full snapshot at every step."""

import pytest
from debug_driver import stepping_into
from seed_programs import SEED_GRAD_TENSORS, SEED_HOOKS, SEED_LINEAR, SEED_MULTI, SEED_RELU

from desktop.debugger import run as run_mod
from desktop.debugger.snapshots import same_graph

SQUARE = """\
import torch
x = torch.tensor([1.0, -2.0], requires_grad=True)
y = (x * x).sum()
y.backward(retain_graph=True)
y.backward()
"""


@pytest.mark.parametrize("source,lines", [
    (SEED_LINEAR, (8,)), (SEED_RELU, (20,)), (SEED_HOOKS, (10,)), (SEED_GRAD_TENSORS, (10,)),
    (SEED_MULTI, (6, 7)), (SQUARE, (4, 5))])
def test_incremental_backward_graph_equals_a_full_snapshot(driver, monkeypatch, source, lines):
    monkeypatch.setattr(run_mod, "CHECK_INCREMENTAL", True)
    d = driver(source)
    states, result = d.run(stepping_into(*lines))
    run = d.session._run
    assert result.status == "finished"
    steps = [s for s in states if s.kind == "backward"]
    assert run.incremental >= len(steps) - 2 * len(lines)  # all but each pass's first node
    assert run.mismatches == []


def test_same_graph_notices_a_changed_grad(driver):
    states, _ = driver(SQUARE).run(stepping_into(4))
    a, b = [s.graph for s in states if s.kind == "backward"][:2]
    assert same_graph(a, a) and not same_graph(a, b)
