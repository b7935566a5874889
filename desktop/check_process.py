"""The symbolic check of a run, computed in a separate Python process.

Why: sympy is pure Python. In a worker thread of the app it holds the interpreter lock for most
of a second at a time, and the GUI thread, which gives the lock up at each Qt call it makes,
then waits a switch interval (5 ms) to get it back, call after call: a debugger step that costs
10 ms of CPU took 80-360 ms while a check ran. In another process the check shares nothing with
the window but the CPU cores, which the OS hands out preemptively.

How: one child process (``python -m desktop.check_process``) is kept and serves one check at a
time. The request (the recorded calls, which are plain data, the time limits and the script's
code, marshalled) goes down its stdin and the reports come back on its stdout, both pickled in
length-prefixed frames. The child runs the very same ``check_calls`` as the in-thread check, so
the reports are the same. Cancel is a message: the child cancels the check's ``CancelToken`` and
answers with what it has, as the in-thread check does. A child that does not answer a cancel
within ``GRACE`` seconds is killed (a new one serves the next check). When the calls cannot be
pickled, ``OUT_OF_PROCESS`` is False (tests that patch the checker in this process) or no child
can be started, the check runs in the calling thread as before.
"""

from __future__ import annotations

import atexit
import marshal
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

OUT_OF_PROCESS = os.name == "posix"  # waiting on the pipe with a timeout needs select() on it
GRACE = 2.0  # seconds a cancelled check gets to answer before its process is ended
_POLL = 0.05  # how often the waiting thread looks at the cancel token (a wake-up takes the GIL)
_HEADER = struct.Struct("<Q")
# what a frame to the process holds, by its first byte: a request (pickled after it), one whose
# token is already cancelled, or Cancel for the request being served. The process's reader
# thread looks at that byte only: unpickling imports modules, which the main thread does alone.
_CHECK, _CANCELLED, _CANCEL = b"Q", b"X", b"C"


class CheckProcessError(RuntimeError):
    """The check's process ended without answering."""


def check_calls(calls, time_limit, code, rerun_seconds, cancel, run_seconds):
    """The check itself (in whichever process runs it): sympy and finite differences over the
    recorded ``calls``, then the independent re-runs of ``code``."""
    from desktop.symbolic_rerun import with_independent_checks
    from symbolic import Options, check_all

    # the panel renders LaTeX; the unicode pretty form would only be a tooltip
    reports = check_all(calls, Options(time_limit=time_limit, pretty=False), cancel=cancel)
    return with_independent_checks(reports, calls, code, rerun_seconds, cancel, run_seconds)


def run_check(calls, time_limit, code, rerun_seconds, cancel, run_seconds=0.0):
    """``check_calls`` in the check's process when possible, else in this thread; returns the
    reports, raises what the check raised. ``cancel`` (a ``CancelToken``) is watched while
    waiting."""
    if OUT_OF_PROCESS:
        try:
            payload = pickle.dumps({
                "calls": calls, "time_limit": time_limit,
                "code": None if code is None else marshal.dumps(code),
                "rerun_seconds": rerun_seconds, "run_seconds": run_seconds,
                "path": list(sys.path), "cwd": os.getcwd()}, pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - something in the calls does not pickle: check here
            payload = None
        if payload is not None:
            answer = _SERVER.ask(payload, cancel)
            if answer is not None:
                kind, value = answer
                if kind == "failed":
                    raise value
                return value
    return check_calls(calls, time_limit, code, rerun_seconds, cancel, run_seconds)


# ---- the app's side ----------------------------------------------------------------------------
def _send(fd: int, data: bytes) -> None:
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, n: int) -> bytes:
    parts, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _recv(fd: int):
    (n,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
    return pickle.loads(_read_exactly(fd, n))


class CheckServer:
    """The app's handle on its check process (started on first use, one check at a time)."""

    def __init__(self):
        self._lock = threading.Lock()  # held for a whole request
        self.child: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen | None:
        root = str(Path(__file__).resolve().parents[1])  # the code this app runs, not an install
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            return subprocess.Popen([sys.executable, "-m", "desktop.check_process"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, env=env, bufsize=0)
        except OSError:
            return None

    def prestart(self) -> None:
        """Start the process ahead of the first check: its imports (sympy, the engine) take
        a second or two, which the first check after start-up would otherwise wait for."""
        if OUT_OF_PROCESS and self._lock.acquire(blocking=False):
            try:
                if self.child is None or self.child.poll() is not None:
                    self.child = self._start()
            finally:
                self._lock.release()

    def ask(self, payload: bytes, cancel):
        """Send one request and wait for its answer, ``("done", reports)`` or ``("failed",
        exc)``; None when no process could be started (the caller checks in its thread)."""
        while not self._lock.acquire(timeout=_POLL):  # another check is winding down
            pass
        try:
            if self.child is None or self.child.poll() is not None:
                self.child = self._start()
                if self.child is None:
                    return None
            child = self.child
            try:
                cancelled = cancel is not None and cancel.cancelled
                _send(child.stdin.fileno(), (_CANCELLED if cancelled else _CHECK) + payload)
                return self._wait(child, cancel)
            except (OSError, EOFError) as exc:
                self.stop()
                raise CheckProcessError(
                    "the check's process ended without answering") from exc
        finally:
            self._lock.release()

    def _wait(self, child: subprocess.Popen, cancel):
        fd = child.stdout.fileno()
        give_up = None
        while True:
            ready, _, _ = select.select([fd], [], [], _POLL)
            if ready:
                return _recv(fd)
            if give_up is None and cancel is not None and cancel.cancelled:
                _send(child.stdin.fileno(), _CANCEL)
                give_up = time.monotonic() + GRACE
            elif give_up is not None and time.monotonic() > give_up:
                self.stop()
                raise CheckProcessError("the check was cancelled; its process did not stop "
                                        f"within {GRACE:g} s and was ended")

    def busy(self) -> bool:
        """True while a request waits for its answer."""
        return self._lock.locked()

    def stop(self) -> None:
        """End the process (the next check starts another)."""
        child, self.child = self.child, None
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        for pipe in (getattr(child, "stdin", None), getattr(child, "stdout", None)):
            if pipe is not None:
                pipe.close()


_SERVER = CheckServer()
atexit.register(_SERVER.stop)


def server() -> CheckServer:
    return _SERVER


# ---- the check process's side ------------------------------------------------------------------
def _serve() -> None:
    import queue

    # everything a request's unpickling and the check import, before the reader thread starts
    import desktop.symbolic_rerun  # noqa: F401
    import symbolic.checker  # noqa: F401
    import symbolic.record  # noqa: F401
    from desktop.process_exit import exit_now
    from symbolic import CancelToken

    # the protocol keeps the original pipes; the script re-run by the check sees /dev/null as
    # its stdin and stdout, so nothing it reads or writes can corrupt a frame
    fd_in, fd_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.stdin, sys.stdout = open(os.devnull), open(os.devnull, "w")  # noqa: SIM115
    requests: queue.Queue = queue.Queue()
    current: list = [None]

    def read() -> None:
        while True:
            try:
                (n,) = _HEADER.unpack(_read_exactly(fd_in, _HEADER.size))
                data = _read_exactly(fd_in, n)
            except (EOFError, OSError):
                exit_now(0)  # the app is gone: so is its check (even one stuck in C)
            kind = data[:1]
            if kind in (_CHECK, _CANCELLED):
                token = CancelToken()
                if kind == _CANCELLED:
                    token.cancel()
                current[0] = token
                requests.put((data[1:], token))
            elif kind == _CANCEL and current[0] is not None:
                current[0].cancel()

    threading.Thread(target=read, name="check-requests", daemon=True).start()
    while True:
        data, token = requests.get()
        try:
            body = pickle.loads(data)
            sys.path[:] = body["path"]
            os.chdir(body["cwd"])
            code = None if body["code"] is None else marshal.loads(body["code"])
            answer = ("done", check_calls(body["calls"], body["time_limit"], code,
                                          body["rerun_seconds"], token, body["run_seconds"]))
        except BaseException as exc:  # noqa: BLE001 - reported to the app, as a thread would
            answer = ("failed", exc)
        try:
            data = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - the answer holds something unpicklable
            data = pickle.dumps(("failed", RuntimeError(
                f"the check's result could not be sent back: {type(exc).__name__}: {exc}")))
        _send(fd_out, data)


if __name__ == "__main__":
    _serve()
