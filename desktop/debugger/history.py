"""Every debugger stop as an immutable snapshot, and the list of them (no Qt).

Going back in time shows a recorded ``DebugState``; nothing is re-executed (Python Tutor's
record-and-replay). States are frozen dataclasses holding numpy copies, so the GUI may render
any of them while the worker thread runs on.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np

from desktop.model import ErrorInfo, GraphSnapshot, TensorInfo

MAX_STATES = 2000  # a long stepping session keeps its most recent stops


@dataclass(frozen=True)
class Flow:
    """A gradient sent along one edge during a backward step."""

    target: int | None  # graph node id of the receiving node (None: no next function)
    target_op: str  # "MulBackward0", "AccumulateGrad"
    grad: np.ndarray | None  # None where nothing flows


@dataclass(frozen=True)
class Arrival:
    """A gradient added to the input buffer of a node that has not run yet. ``count`` > 1 means
    the node was reached again: its pending grad is the sum ``total`` (PyTorch's ``+=``)."""

    target: int
    target_op: str
    label: str  # the variable name for leaves (``w``), else ""
    grad: np.ndarray
    total: np.ndarray
    count: int


@dataclass(frozen=True)
class Accumulation:
    """``tensor.grad`` of a leaf was updated: ``before`` (None if it was None) + ``grad`` =
    ``total``."""

    leaf: int  # graph node id (the tensor's id)
    name: str
    grad: np.ndarray
    before: np.ndarray | None
    total: np.ndarray


@dataclass(frozen=True)
class HookCall:
    tensor: int | None  # graph id of the tensor the hook was registered on
    name: str  # the tensor's variable name when known
    hook: str  # the hook's ``__name__`` (``<lambda>``)
    grad: np.ndarray | None
    result: np.ndarray | None  # what the hook returned (None: grad unchanged)


@dataclass(frozen=True)
class Retained:
    """A non-leaf tensor that called ``retain_grad()`` stored its grad."""

    tensor: int
    name: str
    grad: np.ndarray


@dataclass(frozen=True)
class BackwardInfo:
    """One backward node that just ran (kind "backward"), or the end of a stepped backward pass
    (kind "backward_end", ``node`` None, ``freed`` every node freed in the pass)."""

    call: int  # 1-based number of the backward()/autograd.grad() call in this run
    step: int  # 1-based node number within the pass (nodes run so far at the end)
    node: int | None  # graph node id (a leaf's tensor id for AccumulateGrad)
    op: str  # "MulBackward0", "AccumulateGrad", "" at the end
    label: str  # variable name of the node's output, if known
    grads_in: tuple[np.ndarray | None, ...] = ()  # per output of the node
    flows: tuple[Flow, ...] = ()  # per entry of next_functions
    arrivals: tuple[Arrival, ...] = ()
    accumulations: tuple[Accumulation, ...] = ()
    hooks: tuple[HookCall, ...] = ()
    retained: tuple[Retained, ...] = ()
    freed: tuple[int, ...] = ()  # graph ids of nodes whose saved tensors were released
    retain_graph: bool = False
    create_graph: bool = False
    discarded: tuple[str, ...] = ()  # at the end: non-leaf tensors whose grad is not kept
    returned: bool = False  # AccumulateGrad of an autograd.grad input: grad returned, .grad kept
    row: str = ""  # the engine op row that made the node (local_derivative.row_key)


@dataclass(frozen=True)
class DebugState:
    """What the GUI shows at one stop."""

    index: int  # 0-based number of the stop in this run (stable when old states are dropped)
    kind: str  # "line" | "backward" | "backward_end" | "error" | "finished"
    line: int | None  # current line of the script (for backward stops: the calling line)
    function: str  # "<module>" or the user function's name
    depth: int  # number of user frames on the stack (1 at module level)
    label: str  # "line 7", "backward: MulBackward0", "error at line 10", "end"
    graph: GraphSnapshot
    tensors: tuple[TensorInfo, ...]
    new_nodes: tuple[tuple[int, str], ...] = ()  # (graph id, op) created since the last stop
    from_line: int | None = None  # line of the previous stop (where new_nodes came from)
    backward: BackwardInfo | None = None
    error: ErrorInfo | None = None
    watches: tuple[tuple[str, str], ...] = ()  # (expression, repr or error text)
    output_len: int = 0  # characters of output printed before this stop
    note: str = ""
    warning: str = ""  # e.g. a breakpoint condition that raised: shown with the stop
    variables: tuple = ()  # desktop.variables.VarInfo of the frame, locals first


def state_label(kind: str, line: int | None, backward: BackwardInfo | None = None) -> str:
    if kind == "backward" and backward is not None:
        return f"backward: {backward.op}" + (f" ({backward.label})" if backward.label else "")
    if kind == "backward_end":
        return "backward: done"
    if kind == "error":
        return f"error at line {line}" if line else "error"
    if kind == "finished":
        return "end"
    return f"line {line}"


class History:
    """The recorded stops of one run plus a view cursor (thread-safe: the worker appends, the
    GUI reads and moves the cursor).

    Positions (``0 .. len-1``) index the states kept; ``state.index`` is the stop number.
    Past ``max_states``, the oldest states are dropped and ``note`` says so.
    """

    def __init__(self, max_states: int = MAX_STATES):
        self.max_states = max_states
        self._states: deque[DebugState] = deque()
        self._lock = threading.Lock()
        self._cursor = -1  # -1: follow the live (latest) state
        self.dropped = 0

    def append(self, state: DebugState) -> None:
        with self._lock:
            self._states.append(state)
            if len(self._states) > self.max_states:
                self._states.popleft()
                self.dropped += 1
                if self._cursor > 0:
                    self._cursor -= 1
            self._cursor = -1  # a new stop brings the view back to the present

    def clear(self) -> None:
        with self._lock:
            self._states.clear()
            self._cursor = -1
            self.dropped = 0

    @property
    def note(self) -> str:
        if not self.dropped:
            return ""
        return (f"history keeps the last {self.max_states} stops; {self.dropped} older "
                f"stop{'s' if self.dropped != 1 else ''} dropped")

    def __len__(self) -> int:
        return len(self._states)

    def __getitem__(self, pos: int) -> DebugState:
        with self._lock:
            return self._states[pos]

    def states(self) -> list[DebugState]:
        with self._lock:
            return list(self._states)

    def labels(self) -> list[str]:
        with self._lock:
            return [s.label for s in self._states]

    @property
    def live(self) -> DebugState | None:
        with self._lock:
            return self._states[-1] if self._states else None

    @property
    def position(self) -> int:
        """Position of the state being viewed (the last one unless the user went back)."""
        with self._lock:
            return len(self._states) - 1 if self._cursor < 0 else self._cursor

    @property
    def viewing_past(self) -> bool:
        with self._lock:
            return 0 <= self._cursor < len(self._states) - 1

    def current(self) -> DebugState | None:
        with self._lock:
            if not self._states:
                return None
            return self._states[self._cursor if self._cursor >= 0 else -1]

    def go(self, pos: int) -> DebugState | None:
        """View the state at ``pos`` (clamped); returns it."""
        with self._lock:
            if not self._states:
                return None
            pos = max(0, min(pos, len(self._states) - 1))
            self._cursor = -1 if pos == len(self._states) - 1 else pos
            return self._states[pos]

    def back(self) -> DebugState | None:
        return self.go(self.position - 1) if len(self) else None

    def forward(self) -> DebugState | None:
        return self.go(self.position + 1) if len(self) else None
