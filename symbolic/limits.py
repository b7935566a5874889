"""Time limits and cancellation for sympy work, callable from any thread (the GUI's worker).

Choice: the work runs in a daemon helper thread; the caller waits in short slices and returns as
soon as the work finishes, the deadline passes or ``CancelToken.cancel()`` is called -- so the
caller never hangs. On timeout/cancel an ``Interrupted`` exception is raised asynchronously in the
helper (``PyThreadState_SetAsyncExc``); sympy is pure Python, so it stops at its next bytecode.
``Interrupted`` derives from ``BaseException`` so sympy's ``except Exception`` can't swallow it.

Why not a subprocess: expressions and user objects would have to be pickled, each process start
re-imports sympy (~0.4 s, a third of the 2 s budget for the linear model), and forking a Qt process
is unsafe. The price: a single long C-level call (a huge integer product) can't be interrupted;
the caller still returns on time and the helper thread is abandoned until it finishes.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class Interrupted(BaseException):
    """Raised inside interrupted work."""


class CancelToken:
    """Set from any thread (the GUI's Cancel button) to stop a running check."""

    def __init__(self):
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass(frozen=True)
class Outcome:
    value: Any = None
    timed_out: bool = False
    cancelled: bool = False
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return not (self.timed_out or self.cancelled or self.error is not None)


def _interrupt(thread: threading.Thread) -> None:
    # Never "clear" a pending interrupt with SetAsyncExc(id, NULL): on 3.11 that leaves the
    # interpreter-wide async flag set, and a traced thread (the debugger) then spins forever in
    # the eval breaker at its next function entry.
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident),
                                                   ctypes.py_object(Interrupted))


def _reap(helper: threading.Thread, done: threading.Event, lock: threading.Lock,
          every: float = 0.05) -> None:
    """Keep interrupting an abandoned helper until it ends: one interrupt can be lost (it may
    land in a gc callback or a ``__del__``, which swallow it, or during a long C call), and a
    helper left running would burn a core behind the GUI's back."""
    while not done.wait(every):
        with lock:
            if not done.is_set():
                _interrupt(helper)


def run_limited(fn: Callable[[], Any], seconds: float | None,
                token: CancelToken | None = None, poll: float = 0.02) -> Outcome:
    """Run ``fn()`` with a time limit (None: unlimited) and cancellation; never blocks longer
    than ``seconds`` (+ one ``poll``)."""
    if token is not None and token.cancelled:
        return Outcome(cancelled=True)
    box: dict[str, Any] = {}
    done = threading.Event()
    lock = threading.Lock()  # no interrupt is sent once `done` is set

    def work():
        try:
            try:
                box["value"] = fn()
            except Interrupted:
                box["interrupted"] = True
            except BaseException as exc:  # handed to the caller
                box["error"] = exc
            finally:
                with lock:
                    done.set()
        except Interrupted:  # arrived just as the work finished: nothing left to stop
            pass

    helper = threading.Thread(target=work, name="stepgrad-sympy", daemon=True)
    helper.start()
    deadline = None if seconds is None else time.monotonic() + seconds
    while not done.wait(poll):
        cancelled = token is not None and token.cancelled
        if cancelled or (deadline is not None and time.monotonic() >= deadline):
            with lock:
                if not done.is_set():
                    _interrupt(helper)
            if not done.wait(poll):
                threading.Thread(target=_reap, args=(helper, done, lock), daemon=True,
                                 name="stepgrad-sympy-reaper").start()
            return Outcome(timed_out=not cancelled, cancelled=cancelled)
    if "error" in box:
        return Outcome(error=box["error"])
    if box.get("interrupted"):
        return Outcome(timed_out=True)
    return Outcome(value=box.get("value"))


class Budget:
    """A total time budget shared by several ``run_limited`` calls."""

    def __init__(self, seconds: float | None, token: CancelToken | None = None):
        self.end = None if seconds is None else time.monotonic() + seconds
        self.token = token

    def remaining(self) -> float | None:
        return None if self.end is None else max(0.0, self.end - time.monotonic())

    @property
    def cancelled(self) -> bool:
        return self.token is not None and self.token.cancelled

    def run(self, fn: Callable[[], Any], cap: float | None = None) -> Outcome:
        left = self.remaining()
        limit = cap if left is None else (left if cap is None else min(cap, left))
        if limit is not None and limit <= 0:
            return Outcome(timed_out=True)
        return run_limited(fn, limit, self.token)
