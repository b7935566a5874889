"""A run leaves no thread of its own behind once its result is in, however fast the script
ends (a time limit's timer is cancelled and joined, or never started); its error lines are
the compiler's, whatever line-separator characters the code holds."""

from __future__ import annotations

import threading

from desktop.runner import ScriptRun


def ours():
    return [t.name for t in threading.enumerate()
            if t.name.startswith("stepgrad-") and t.is_alive()]


def test_a_time_limited_run_that_ends_at_once_leaves_no_timer_behind():
    for _ in range(200):  # the script may end before start() has set its timer up
        result = ScriptRun("pass\n", max_seconds=30, record=False).start().wait(10)
        assert result is not None and result.status == "finished"
        assert "stepgrad-time-limit" not in ours()


def test_a_time_limited_run_that_is_stopped_by_its_limit_reports_it():
    result = ScriptRun("while True:\n    pass\n", max_seconds=0.2, record=False).start().wait(10)
    assert result.status == "stopped" and result.error.message == "time limit of 0.2 s"
    assert "stepgrad-time-limit" not in ours()


def test_an_error_line_after_a_line_separator_character_is_the_right_line():
    from desktop.runner import run_script

    # U+2028 inside a string: one physical line for Python, two for str.splitlines
    result = run_script("s = 'a\u2028b'\nt = 1\nraise ValueError(s)\n")
    assert result.status == "error" and result.error.line == 3
    assert result.error.traceback[-1][2] == "raise ValueError(s)"
