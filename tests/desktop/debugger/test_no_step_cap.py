"""A Continue with breakpoints set runs traced for as long as the script does: only Stop (or an
explicitly requested ``max_steps``) ends it."""

from __future__ import annotations

from desktop.debugger import DebugSession
from desktop.debugger.tracer import MAX_STEPS


def test_a_breakpoint_after_more_than_a_million_traced_lines_is_reached():
    assert MAX_STEPS is None
    # 600,000 iterations of a two-line loop body: 1.8 million traced line events
    src = "n = 0\nfor i in range(600_000):\n    n += 1\ndone = n\nprint(done)\n"
    s = DebugSession(src)
    s.set_breakpoint(5)
    s.continue_()
    state = s.wait_stop(120.0)
    assert state.line == 5 and state.kind != "finished"
    s.continue_()
    result = s.wait(30.0)
    assert result.status == "finished" and result.output == "600000\n"
    assert result.extras["steps"] > 1_000_000
