"""Ending the process while a script's worker thread is stuck in C code (no Qt).

Stop gives up on a worker stuck in one long C call (a BLAS matmul, a sleep): the thread is a
daemon and is abandoned. Normal interpreter exit then deadlocks or crashes: the abandoned thread
still owns the BLAS library when OpenBLAS's exit handler (``gotoblas_quit``) joins the library's
own threads, and a daemon thread waking up during finalisation may touch freed state. So a
process that abandoned a worker leaves with ``os._exit`` after flushing its streams: the exit
handlers of C libraries never run, and nothing of ours needs them.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

_abandoned: list[threading.Thread] = []
_lock = threading.Lock()


def note_abandoned(thread: threading.Thread | None) -> None:
    """Record a worker thread that Stop gave up on."""
    if thread is None:
        return
    with _lock:
        _abandoned[:] = [t for t in _abandoned if t.is_alive()]
        _abandoned.append(thread)


def abandoned_alive() -> list[threading.Thread]:
    """Abandoned worker threads that have not ended yet."""
    with _lock:
        return [t for t in _abandoned if t.is_alive()]


def flush_standard_streams() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.flush()


def exit_now(status: int):
    """Flush stdout/stderr and end the process with ``status``, skipping interpreter
    finalisation and every atexit handler (Python's and C libraries')."""
    flush_standard_streams()
    os._exit(status)


def exit_cleanly_or_now(status: int) -> int:
    """``status`` for a normal exit; or, while an abandoned worker is still alive, end the
    process at once with it (see the module docstring)."""
    if abandoned_alive():
        exit_now(status)
    return status
