"""A recorder that keeps the first and the last backward/grad calls of a script.

A training loop makes hundreds of backward() calls on the same graph shape; checking each one
costs seconds and prints pages. The first calls show the set-up, the last ones the trained
state: ``FirstLastRecorder`` keeps those and counts the calls in between as skipped. Which call
is last is only known when the script ends, so the tail is a sliding window: every call is
recorded, and the oldest call of the tail is dropped when a newer one arrives.
"""

from __future__ import annotations

import sys

from symbolic.record import CallTraceRecorder


class FirstLastRecorder(CallTraceRecorder):
    """``calls`` holds at most ``first`` + ``last`` calls: the first ``first`` and the last
    ``last`` of the script, in order; ``skipped`` counts the calls dropped in between. Each
    kept call's ``index`` is its position among all of the script's calls (its title says
    "call 1000" for the thousandth)."""

    def __init__(self, first: int = 2, last: int = 1, **kwargs):
        if first < 0 or last < 0:
            raise ValueError(f"first and last must be >= 0, not {first} and {last}")
        kwargs.pop("max_calls", None)
        super().__init__(max_calls=sys.maxsize, **kwargs)
        self.first, self.last = first, last
        self.total = 0  # backward/grad calls the script made

    def on_backward_begin(self, roots, grads, retain_graph, create_graph, inputs):
        with self._lock:
            before = len(self.calls)
            super().on_backward_begin(roots, grads, retain_graph, create_graph, inputs)
            self.total += 1
            if len(self.calls) == before:  # not kept (e.g. max_per_line)
                return
            self.calls[-1].index = self.calls[-1].seq
            if len(self.calls) > self.first + self.last:
                # the oldest call of the tail makes room; it may still be running (a nested
                # call): its trace stays reachable from the active stack until it ends
                del self.calls[self.first]
                self.skipped += 1
