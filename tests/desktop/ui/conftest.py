"""Hand-built model objects for the GUI tests: the seed article's y = w x + b regression.

Numbers are computed with numpy exactly as the engine would (loss = mean((X w^T + b - Y)^2)),
so the grads on the edges and leaves are the true ones.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from desktop.model import (
    ErrorInfo,
    GraphEdge,
    GraphNode,
    GraphSnapshot,
    NodeKind,
    RunResult,
    TensorInfo,
)

SOURCE = """\
import torch

X = torch.arange(1, 6, dtype=torch.float32).reshape(5, 1)
Y = 2 * X + 1
w = torch.tensor([[0.5]], requires_grad=True)
b = torch.tensor([0.1], requires_grad=True)
Y_hat = X.mm(w.t()) + b
loss = ((Y_hat - Y) ** 2).mean()
loss.backward()
print("loss", loss.item())
"""

# node ids
W, B, X_, Y_, T, MM, ADD, SUB, POW, MEAN = range(1, 11)


def linear_arrays():
    X = np.arange(1, 6, dtype=np.float32).reshape(5, 1)
    Y = 2 * X + 1
    w = np.array([[0.5]], dtype=np.float32)
    b = np.array([0.1], dtype=np.float32)
    mm = X @ w.T
    y_hat = mm + b
    r = y_hat - Y
    sq = r**2
    loss = np.float32(sq.mean())
    d_sq = np.full_like(sq, 1 / sq.size)
    d_r = 2 * r * d_sq
    dw = (d_r.T @ X).astype(np.float32)  # (1, 1)
    db = d_r.sum(axis=0)  # (1,)
    return dict(X=X, Y=Y, w=w, b=b, mm=mm, y_hat=y_hat, r=r, sq=sq, loss=loss,
                d_sq=d_sq, d_r=d_r, dw=dw, db=db)


def linear_graph(freed: bool = False, highlight=frozenset({MEAN})) -> GraphSnapshot:
    a = linear_arrays()

    def op(i, name, label, shape, line, value, grad, saved=()):
        return GraphNode(i, NodeKind.OP, name, label, shape, line, freed, value, grad, saved)

    nodes = (
        GraphNode(W, NodeKind.LEAF_GRAD, "AccumulateGrad", "w", (1, 1), 5, False, a["w"],
                  a["dw"]),
        GraphNode(B, NodeKind.LEAF_GRAD, "AccumulateGrad", "b", (1,), 6, False, a["b"], a["db"]),
        GraphNode(X_, NodeKind.LEAF_CONST, "const", "X", (5, 1), 3, False, a["X"]),
        GraphNode(Y_, NodeKind.LEAF_CONST, "const", "Y", (5, 1), 4, False, a["Y"]),
        op(T, "TBackward0", "", (1, 1), 7, a["w"].T, a["dw"].T),
        op(MM, "MmBackward0", "", (5, 1), 7, a["mm"], a["d_r"], ("self: X [5, 1]",
                                                                  "mat2: w.t() [1, 1]")),
        op(ADD, "AddBackward0", "Y_hat", (5, 1), 7, a["y_hat"], a["d_r"]),
        op(SUB, "SubBackward0", "", (5, 1), 8, a["r"], a["d_r"]),
        op(POW, "PowBackward0", "", (5, 1), 8, a["sq"], a["d_sq"], ("self: [5, 1]",)),
        op(MEAN, "MeanBackward0", "loss", (), 8, np.array(a["loss"]), np.array(1.0)),
    )
    edges = (
        GraphEdge(W, T, a["dw"]),
        GraphEdge(T, MM, a["dw"].T),
        GraphEdge(X_, MM),
        GraphEdge(MM, ADD, a["d_r"]),
        GraphEdge(B, ADD, a["db"]),
        GraphEdge(ADD, SUB, a["d_r"]),
        GraphEdge(Y_, SUB),
        GraphEdge(SUB, POW, a["d_r"]),
        GraphEdge(POW, MEAN, a["d_sq"]),
    )
    return GraphSnapshot(nodes, edges, highlight=frozenset(highlight))


def tensor(name, value, grad=None, requires_grad=False, is_leaf=True, grad_fn=None):
    value = np.asarray(value)
    return TensorInfo(name, value.shape, str(value.dtype), requires_grad, is_leaf, grad_fn,
                      value, None if grad is None else np.asarray(grad))


def linear_tensors() -> tuple[TensorInfo, ...]:
    a = linear_arrays()
    return (
        tensor("X", a["X"]),
        tensor("Y", a["Y"]),
        tensor("w", a["w"], a["dw"], requires_grad=True),
        tensor("b", a["b"], a["db"], requires_grad=True),
        tensor("Y_hat", a["y_hat"], requires_grad=True, is_leaf=False, grad_fn="AddBackward0"),
        tensor("loss", np.array(a["loss"]), requires_grad=True, is_leaf=False,
               grad_fn="MeanBackward0"),
    )


def linear_result(freed: bool = True) -> RunResult:
    losses = tuple(float(40.0 * 0.8**k + 0.05) for k in range(30))
    output = "".join(f"step {k:2d}  loss {v:.4f}\n" for k, v in enumerate(losses[:5]))
    return RunResult("finished", output, None, linear_tensors(), linear_graph(freed=freed),
                     backward_values=losses, seconds=0.042)


def error_result() -> RunResult:
    err = ErrorInfo(
        "RuntimeError",
        "Trying to backward through the graph a second time (or directly access saved tensors "
        "after they have already been freed). Saved intermediate values of the graph are freed "
        "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
        "backward through the graph a second time or if you need to access saved tensors after "
        "calling backward.",
        10,
        (("<session>", 9, "loss.backward()"), ("<session>", 10, "loss.backward()")),
    )
    return RunResult("error", "loss 14.32\n", err, linear_tensors(), linear_graph(freed=True))


@pytest.fixture
def linear_run() -> RunResult:
    return linear_result()


@pytest.fixture
def error_run() -> RunResult:
    return error_result()


@pytest.fixture
def settings(tmp_path):
    """An isolated ini file, so tests never read or write the user's real stepgrad settings."""
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    return QSettings(str(tmp_path / "stepgrad-test.ini"), QSettings.Format.IniFormat)
