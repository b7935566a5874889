"""Interrupting a thread that runs a user script, and the CPython 3.11 pitfalls that come with
it (no Qt). ``desktop.runner.ScriptThread`` builds Stop on these for the plain runner and the
debugger alike."""

from __future__ import annotations

import contextlib
import ctypes
import threading
import time


def async_raise(ident: int, exc_type) -> None:
    """Make thread ``ident`` raise ``exc_type`` at its next bytecode boundary.

    CPython has no other way to interrupt a thread running pure Python such as
    ``while True: pass``: flags and events need the loop's cooperation, and signals only reach
    the main thread. It cannot interrupt a long C call (a huge matmul, ``time.sleep``) until
    that call returns, which is why Stop retries and finally abandons the thread.

    Never call it with None to cancel: on CPython 3.11 that leaves the interpreter-wide "async
    exception pending" flag set (only a thread *receiving* one clears it), and while it is set any
    thread with a trace function (bdb, the debugger) spins forever at its next function entry.
    Pending exceptions are instead delivered where they are harmless (``checkpoint`` calls once
    the worker has left the script's code), or flushed by ``clear_async_flag``."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc_type))


class _Flush(BaseException):
    pass


def clear_async_flag() -> None:
    """Clear the 3.11 interpreter-wide flag left by an exception pending in an abandoned thread
    (see ``async_raise``) by delivering a dummy exception to a throwaway thread. The abandoned
    thread still gets its own exception: each thread checks its pending exception whenever it
    handles the eval breaker, e.g. on the next GIL hand-over."""
    ready = threading.Event()

    def spin():
        deadline = time.monotonic() + 2.0
        with contextlib.suppress(_Flush):
            ready.set()
            while time.monotonic() < deadline:
                pass

    helper = threading.Thread(target=spin, name="stepgrad-flush", daemon=True)
    helper.start()
    ready.wait()
    if helper.ident is not None:
        async_raise(helper.ident, _Flush)
    helper.join()


def reap(thread: threading.Thread) -> None:
    """Wake up every 0.1 s until an abandoned thread is gone. Waiting for the GIL makes a thread
    that runs Python again handle its eval breaker, where its pending exception lands; without
    this, an idle GUI (its event loop holds no GIL) could leave it spinning for a long time."""
    while thread.is_alive():
        thread.join(0.1)


def checkpoint() -> None:
    """Calling a Python function checks the eval breaker, so a pending async exception of the
    calling thread is raised right here."""
