"""Watch expressions evaluated off the caller's thread, with a time limit.

A watch is the user's own code (``sum(range(10**10))`` or a huge matmul are one typo away), and
the inspector asks for its value on the GUI thread. The caller waits at most ``wait`` seconds:
a quick expression's value comes back at once; a slow one returns ``EVALUATING`` and its value
is delivered later through ``on_late(expr, text)`` from a helper thread (the Qt side marshals it
to the GUI thread). Past ``limit`` seconds the work is interrupted and the watch says so. Only
the latest request per expression is delivered, so a stale value never overwrites a newer one.

Limit: the interrupt lands between bytecodes, so one long C call (``sum(range(10**12))``)
can neither be stopped nor, as it holds the GIL, be waited out by other Python threads; only a
subprocess could, and the namespace of tensors would have to be copied into it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

from symbolic.limits import run_limited

EVALUATING = "(evaluating…)"


def over_limit(limit: float) -> str:
    return f"(stopped: still running after {limit:g} s)"


def describe_outcome(outcome, limit: float) -> str:
    if outcome.timed_out or outcome.cancelled:
        return over_limit(limit)
    if outcome.error is not None:
        e = outcome.error
        return f"{type(e).__name__}: {e}"
    return str(outcome.value)


class WatchEvaluator:
    """Callable ``expr -> str`` wrapping a blocking ``evaluate(expr) -> str``."""

    def __init__(self, evaluate: Callable[[str], str],
                 on_late: Callable[[str, str], None] | None = None,
                 wait: float = 0.15, limit: float = 5.0):
        self.evaluate = evaluate
        self.on_late = on_late
        self.wait = wait
        self.limit = limit
        self._tickets = itertools.count()
        self._latest: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, expr: str) -> str:
        with self._lock:
            ticket = next(self._tickets)
            self._latest[expr] = ticket
        box: dict[str, object] = {}
        finished = threading.Event()

        def job():
            text = describe_outcome(run_limited(lambda: self.evaluate(expr), self.limit),
                                    self.limit)
            with self._lock:
                box["text"] = text
                late = box.get("late", False) and self._latest.get(expr) == ticket
            finished.set()
            if late and self.on_late is not None:
                self.on_late(expr, text)

        threading.Thread(target=job, name="stepgrad-watch", daemon=True).start()
        if finished.wait(self.wait):
            return str(box["text"])
        with self._lock:
            if "text" in box:  # finished between the wait and the lock
                return str(box["text"])
            box["late"] = True
        return EVALUATING
