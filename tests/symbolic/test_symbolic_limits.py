"""Time limits and cancellation never hang; a check over its limit still reports, with a note."""

import sys
import threading
import time

import pytest
import sympy as sp

import engine as torch
from symbolic import CancelToken, Options, check
from symbolic.limits import Budget, run_limited


def spin():
    while True:  # pure Python, like sympy
        pass


def idle():
    while True:  # interruptible between sleeps, without using a core
        time.sleep(0.01)


def _threads_started_since(before, wait=2.0):
    """The threads started since ``before`` (a set of threads) still alive after up to ``wait``
    seconds. By identity, not by count: a thread of an earlier test that ends meanwhile must
    neither fail the check nor stand in for one of ours still running."""
    deadline = time.monotonic() + wait
    while True:
        alive = [t.name for t in threading.enumerate() if t not in before]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.01)


def test_run_limited_returns_on_time_and_stops_the_work():
    before = set(threading.enumerate())
    t0 = time.monotonic()
    out = run_limited(spin, 0.2)
    assert out.timed_out and not out.cancelled and out.value is None
    assert time.monotonic() - t0 < 1.0
    assert _threads_started_since(before) == []  # the helper thread was interrupted


def test_run_limited_passes_values_and_errors():
    assert run_limited(lambda: 42, 1.0).value == 42
    out = run_limited(lambda: 1 / 0, 1.0)
    assert isinstance(out.error, ZeroDivisionError) and not out.ok


def test_cancel_from_another_thread():
    token = CancelToken()
    threading.Timer(0.1, token.cancel).start()
    t0 = time.monotonic()
    out = run_limited(spin, None, token)
    assert out.cancelled and time.monotonic() - t0 < 1.0
    assert run_limited(lambda: 1, 1.0, token).cancelled  # already cancelled: nothing runs


def test_interrupt_is_not_swallowed_by_except_exception():
    def stubborn():
        while True:
            try:
                while True:
                    pass
            except Exception:  # sympy has such handlers; Interrupted is a BaseException
                continue

    assert run_limited(stubborn, 0.1).timed_out


def test_budget_is_shared():
    b = Budget(0.3)
    assert b.run(spin).timed_out
    assert b.remaining() == 0.0 and b.run(lambda: 1).timed_out


def _big_call(record):
    with record() as rec:
        w = torch.randn(8, requires_grad=True)
        x = w
        for _ in range(12):  # bounded values, but a closed form that takes sympy a long while
            x = (x * w).sin() + x.cos() * (w * 0.5).tanh().sum()
        x.sum().backward()
    return rec.calls[0]


def test_check_over_its_time_limit_reports_finite_differences(monkeypatch, record):
    # A derivation that never ends, so the limit is hit on any machine (a merely large
    # expression finished in 0.35 s on a fast CI runner). The finite differences run first, on
    # the same budget: they take ~50 ms, and a second leaves them room on a loaded machine
    # (with 0.3 s they lost the race when a CPU-hungry test ran just before). The derivation
    # sleeps rather than spins, not to burn a shared core for that second.
    monkeypatch.setattr(sys.modules["symbolic.checker"], "gradient", lambda expr, syms: idle())
    call = _big_call(record)
    t0 = time.monotonic()
    report = check(call, Options(time_limit=1.0))
    assert time.monotonic() - t0 < 10
    assert report.timed_out
    assert any("time limit" in n for n in report.notes)
    for e in report.elements:
        assert e.symbolic is None and e.finite is not None and e.ok


def test_cancelled_check_says_so(record):
    call = _big_call(record)
    token = CancelToken()
    token.cancel()
    report = check(call, Options(time_limit=30), cancel=token)
    assert report.cancelled and "cancelled" in report.notes
    assert "finite differences stopped: cancelled" in report.notes
    assert all(not e.checked for e in report.elements)  # nothing was, and it says so


def test_simplification_over_its_limit_shows_the_form_unsimplified(monkeypatch, record):
    from symbolic import derive

    monkeypatch.setattr(derive, "simplify", lambda e: spin())
    with record() as rec:
        x = torch.tensor(0.5, requires_grad=True)
        (x.sin() * x.exp()).backward()
    report = check(rec.calls[0], Options(simplify_limit=0.1))
    (e,) = report.elements
    assert e.ok and "unsimplified" in e.note
    assert sp.sympify(e.closed_form).free_symbols == {sp.Symbol("x")}


def test_an_interrupt_swallowed_once_is_sent_again_until_the_work_stops():
    swallowed = threading.Event()
    stopped = threading.Event()

    def swallows_the_first():
        try:
            try:
                spin()
            except BaseException:  # e.g. a __del__ or gc callback that eats the exception
                swallowed.set()
            spin()
        finally:
            stopped.set()

    t0 = time.monotonic()
    out = run_limited(swallows_the_first, 0.1)
    assert out.timed_out and time.monotonic() - t0 < 1.0
    assert stopped.wait(2.0), "the abandoned helper kept running"
    assert swallowed.is_set()


def test_a_form_too_large_to_simplify_is_shown_as_derived_with_a_note(record):
    import math

    with record() as rec:
        x = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
        y = sum((x * k).sin() * (x / k).exp() for k in range(1, 13))
        y.backward()
    t0 = time.monotonic()
    (e,) = check(rec.calls[0]).elements
    assert time.monotonic() - t0 < 10
    assert "too large to simplify" in e.note and e.ok
    assert e.pretty and e.latex and "sin" in e.closed_form
    # d/dx sum sin(kx) e^(x/k) = sum k cos(kx) e^(x/k) + sin(kx) e^(x/k) / k
    want = sum(k * math.cos(k * 0.3) * math.exp(0.3 / k) + math.sin(k * 0.3) * math.exp(0.3 / k) / k
               for k in range(1, 13))
    assert e.symbolic == pytest.approx(want, rel=1e-12)
    with record() as rec:
        x = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
        (x.sin() * x.exp()).backward()
    (small,) = check(rec.calls[0]).elements
    assert small.note == "" and small.ok


def test_cancel_while_the_check_runs(monkeypatch, record):
    # the GUI's Cancel: the check is deriving (forever, here) on a worker; it returns promptly
    # with what finite differences could check, and the derivation thread is stopped
    token = CancelToken()

    def derive_until_cancelled(expr, syms):
        # Cancel is pressed from another thread once the derivation runs (the finite
        # differences, done before it, are then all there whatever the machine's speed)
        threading.Timer(0.05, token.cancel).start()
        spin()

    monkeypatch.setattr(sys.modules["symbolic.checker"], "gradient", derive_until_cancelled)
    call = _big_call(record)
    before = set(threading.enumerate())
    t0 = time.monotonic()
    report = check(call, Options(time_limit=60), cancel=token)
    assert time.monotonic() - t0 < 5
    assert report.cancelled and not report.timed_out and "cancelled" in report.notes
    assert all(e.symbolic is None and e.finite is not None and e.ok for e in report.elements)
    assert _threads_started_since(before) == []  # the derivation thread was stopped
