"""The step-through debugger (no Qt): forward line by line with ``bdb``, backward node by node
through the engine's observer, and every stop kept as a snapshot for stepping back."""

from desktop.debugger.history import BackwardInfo, DebugState, History
from desktop.debugger.debug_session import DebugSession

__all__ = ["BackwardInfo", "DebugSession", "DebugState", "History"]
