"""Walking a live graph without the recorder: works where nodes keep their inputs, and says
clearly when a constant operand was not kept."""

import pytest

import engine as torch
from symbolic import check
from symbolic.walk import NotRecoverable, trace_output


def test_walk_a_live_graph_and_check_it():
    torch.manual_seed(0)
    w = torch.tensor([[3.0, 1.0]], requires_grad=True)
    b = torch.tensor([2.0], requires_grad=True)
    X = torch.randn(4, 2)
    loss = ((X @ w.t()) * 0.5 + b * b).pow(2).sum()
    call = trace_output(loss)
    assert [t.name for t in call.targets] == ["w", "b"]
    report = check(call)
    assert report.ok
    x = X.numpy().astype(float)
    r = x @ [3.0, 1.0] * 0.5 + 4.0
    assert [e.symbolic for e in report.elements] == pytest.approx(
        [*(x.T @ r).tolist(), 8 * r.sum()])
    assert [e.engine for e in report.elements] == pytest.approx([e.symbolic for e in
                                                                 report.elements], rel=1e-5)
    assert w.grad is None  # autograd.grad: nothing accumulated


def test_constant_of_a_non_saving_op_is_not_recoverable():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    Y = torch.tensor([0.5, 0.5])
    with pytest.raises(NotRecoverable, match="constant operand"):
        trace_output((w - Y).sum())


def test_freed_graph_is_not_recoverable():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    with pytest.raises(NotRecoverable, match="freed"):
        trace_output(loss)
