"""The symbolic check in its own process: the same reports as the check in a thread, none of its
work in the app's process (so it never holds the app's GIL), Cancel answered, a process that
does not stop is ended, and calls that cannot be sent are checked in the thread as before."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from desktop import check_process
from desktop.runner import compile_script
from engine import observe
from engine.script_namespace import new_namespace
from symbolic import CallTraceRecorder, CancelToken
from shared_scripts import WRONG_RELU

SCRIPT = """\
import torch
w = torch.randn(3, requires_grad=True)
x = torch.randn(4, 3)
loss = torch.tanh(x @ w).pow(2).mean()
loss.backward()
"""


def _record(source):
    code = compile_script(source)
    rec = CallTraceRecorder()
    with observe.observing(rec):
        exec(code, new_namespace(print=lambda *a, **k: None))
    return code, rec.calls


def _same(a, b):
    # the seconds each took are the only field that may differ
    return [dataclasses.replace(r, seconds=0.0) for r in a] == \
        [dataclasses.replace(r, seconds=0.0) for r in b]


@pytest.mark.parametrize("source", [SCRIPT, WRONG_RELU], ids=["tanh", "custom-function"])
def test_the_process_answers_what_the_thread_would(source, monkeypatch):
    code, calls = _record(source)
    remote = check_process.run_check(calls, 20.0, code, 10.0, CancelToken())
    monkeypatch.setattr(check_process, "OUT_OF_PROCESS", False)
    local = check_process.run_check(calls, 20.0, code, 10.0, CancelToken())
    assert _same(remote, local)
    assert remote[0].independent.status in ("agree", "disagree")  # the script was re-run
    assert remote[0].ok == (source is SCRIPT)
    assert check_process.server().child.pid != os.getpid()


def test_none_of_the_checks_work_runs_in_the_apps_process(monkeypatch):
    """What keeps a debugger step from waiting for the check: the app's process does none of
    it (here it would raise), it only waits on a pipe."""
    code, calls = _record(SCRIPT)

    def not_here(*_args, **_kwargs):
        raise AssertionError("the check ran in the app's process")

    monkeypatch.setattr(check_process, "check_calls", not_here)
    (report,) = check_process.run_check(calls, 20.0, code, 10.0, CancelToken())
    assert report.ok and report.independent.status == "agree"


def test_a_cancelled_check_answers_as_cancelled():
    code, calls = _record(SCRIPT)
    token = CancelToken()
    token.cancel()
    (report,) = check_process.run_check(calls, 20.0, code, 10.0, token)
    assert report.cancelled
    assert report.independent.text == "the script was not re-run: cancelled"


def test_a_process_that_does_not_answer_a_cancel_is_ended(monkeypatch):
    server = check_process.CheckServer()
    monkeypatch.setattr(check_process, "_SERVER", server)
    monkeypatch.setattr(check_process, "GRACE", 0.2)
    # stands in for a check stuck in one long C call: it never reads nor answers
    stuck = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    server.child = stuck
    code, calls = _record(SCRIPT)
    token = CancelToken()
    token.cancel()
    with pytest.raises(check_process.CheckProcessError, match="did not stop"):
        check_process.run_check(calls, 20.0, code, 10.0, token)
    assert stuck.poll() is not None and server.child is None
    # the next check gets a process of its own
    (report,) = check_process.run_check(calls, 20.0, code, 10.0, CancelToken())
    assert report.ok
    child = server.child
    server.stop()
    assert child.poll() is not None


def test_calls_that_cannot_be_sent_are_checked_in_the_thread(monkeypatch):
    code, calls = _record(SCRIPT)
    calls[0].notes.append(lambda: None)  # a lambda does not pickle
    seen = []
    monkeypatch.setattr(check_process, "check_calls", lambda *a: seen.append(a) or ["local"])
    assert check_process.run_check(calls, 20.0, code, 10.0, CancelToken()) == ["local"]
    assert len(seen) == 1


def test_the_process_ends_with_the_app():
    child = check_process.CheckServer()._start()
    child.stdin.close()  # what the app's exit does to the pipe
    assert child.wait(timeout=30) == 0
    child.stdout.close()


def test_cancel_reaches_a_check_already_running_in_the_process(monkeypatch):
    import threading

    from desktop import lessons

    code, calls = _record(lessons.get("small-mlp").code)
    calls = calls[:4] + calls[-1:]  # what Compute checks of a training loop: seconds of sympy
    token = CancelToken()
    started = threading.Event()
    real_wait = check_process.CheckServer._wait

    def wait(server, child, cancel):  # the request is in the pipe: now cancel it
        started.set()
        return real_wait(server, child, cancel)

    threading.Thread(target=lambda: started.wait(60) and token.cancel(), daemon=True).start()
    monkeypatch.setattr(check_process.CheckServer, "_wait", wait)
    reports = check_process.run_check(calls, 60.0, code, 10.0, token)
    assert len(reports) == 5 and reports[-1].cancelled
    assert reports[-1].independent.text == "the script was not re-run: cancelled"
    assert check_process.server().child.poll() is None  # answered, so kept for the next check


def test_a_check_sent_while_the_process_still_imports_is_answered(monkeypatch):
    """The app starts the process ahead of the first check (its imports take a second or two);
    a check sent meanwhile waits in the pipe until they are done, not racing them."""
    server = check_process.CheckServer()
    monkeypatch.setattr(check_process, "_SERVER", server)
    server.prestart()
    child = server.child
    server.prestart()  # one process, however often asked
    assert server.child is child and child.poll() is None
    code, calls = _record(SCRIPT)
    (report,) = check_process.run_check(calls, 20.0, code, 10.0, CancelToken())
    assert report.ok and report.independent.status == "agree"
    assert server.child is child
    server.stop()
    assert child.poll() is not None
