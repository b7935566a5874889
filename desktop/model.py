"""Plain data the GUI renders: snapshots of the graph, tensors and run results (no Qt here).

Snapshots are immutable copies taken at a moment (after a run, a debugger stop, a backward
step), so views can render them from the GUI thread while the engine goes on in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np


class NodeKind(str, Enum):  # noqa: UP042 -- str() must stay "NodeKind.X"
    LEAF_GRAD = "leaf_grad"  # leaf that requires grad (shown via its AccumulateGrad)
    LEAF_CONST = "leaf_const"  # leaf input that does not require grad (X, Y, constants)
    OP = "op"  # a grad_fn such as MulBackward0
    CUSTOM = "custom"  # a user autograd.Function node, e.g. MyReLUBackward


@dataclass(frozen=True)
class TensorInfo:
    """What the inspector shows for one tensor, frozen at snapshot time."""

    name: str
    shape: tuple[int, ...]
    dtype: str  # "float32"
    requires_grad: bool
    is_leaf: bool
    grad_fn: str | None  # "MulBackward0"
    value: np.ndarray  # a copy
    grad: np.ndarray | None  # a copy, None when .grad is None


@dataclass(frozen=True)
class GraphNode:
    id: int  # stable for the node's lifetime within one run
    kind: NodeKind
    op: str  # "MulBackward0", "AccumulateGrad", or "const" for constant leaves
    label: str  # the script's variable name when known ("w", "loss"), else ""
    shape: tuple[int, ...]
    line: int | None  # user source line that created it
    freed: bool = False  # saved tensors released after backward
    value: np.ndarray | None = None  # output value (copy) when small enough to keep
    grad: np.ndarray | None = None  # for leaves: .grad; for ops: last grad that flowed in
    saved: tuple[str, ...] = ()  # short descriptions of saved tensors


@dataclass(frozen=True)
class GraphEdge:
    src: int  # the producer (input side; data flows src -> dst in forward)
    dst: int
    grad: np.ndarray | None = None  # gradient that flowed dst -> src in the last backward


@dataclass(frozen=True)
class GraphSnapshot:
    nodes: tuple[GraphNode, ...] = ()
    edges: tuple[GraphEdge, ...] = ()
    note: str = ""  # e.g. "graph capped at 500 nodes"
    highlight: frozenset[int] = frozenset()  # nodes created/visited by the current step
    groups: tuple = ()  # desktop.graph_groups.NodeGroup: modules, function calls, loops


@dataclass(frozen=True)
class OutputChunk:
    text: str
    stream: str = "stdout"  # or "stderr"


@dataclass(frozen=True)
class ErrorInfo:
    kind: str  # "RuntimeError"
    message: str  # PyTorch's message
    line: int | None  # line in the user script where it surfaced
    traceback: tuple[tuple[str, int, str], ...] = ()  # (filename, lineno, text) frames of user code


@dataclass(frozen=True)
class RunResult:
    status: str  # "finished" | "error" | "stopped"
    output: str
    error: ErrorInfo | None
    tensors: tuple[TensorInfo, ...]
    graph: GraphSnapshot
    backward_values: tuple[float, ...] = ()  # value of each tensor backward() was called on
    seconds: float = 0.0
    extras: dict = field(default_factory=dict)
