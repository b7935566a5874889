"""When the app checks a run's last ``backward()`` by itself: only for graphs small enough that
the check ends in about two seconds (a 4-32-32-1 MLP on a batch of 16 takes ~1 s of CPU). Larger
ones wait for Compute, so a run is never followed by a long check nobody asked for."""

from __future__ import annotations

AUTO_TIME_LIMIT = 2.0  # seconds of sympy work for a check started by itself
MAX_VALUES = 60_000  # tensor elements in the recorded graph (values the check touches)
MAX_NODES = 300


def small_enough(call) -> bool:
    """True when ``call`` (a recorded ``CallTrace``) is worth checking without being asked."""
    g = call.graph
    if call.error is not None or not call.targets or len(g.nodes) > MAX_NODES:
        return False
    values = sum(lf.value.size for lf in g.leaves)
    values += sum(o.size for n in g.nodes for o in n.out_values if o is not None)
    return values <= MAX_VALUES
