"""Watch expressions never hold the caller (the GUI thread) for more than a short wait, slow ones
arrive later, runaway ones are stopped, and a stale value never overwrites a newer one."""

import threading
import time

from desktop.watch_eval import EVALUATING, WatchEvaluator, over_limit


def test_a_quick_watch_comes_back_at_once_with_its_value_or_error():
    ev = WatchEvaluator(lambda e: str(eval(e)))
    assert ev("1 + 2") == "3"
    assert ev("1/0") == "ZeroDivisionError: division by zero"


def test_a_slow_watch_returns_at_once_and_is_delivered_later():
    late = []
    arrived = threading.Event()
    ev = WatchEvaluator(lambda e: (time.sleep(0.4), "slow value")[1],
                        on_late=lambda e, t: (late.append((e, t)), arrived.set()), wait=0.05)
    t0 = time.monotonic()
    assert ev("x") == EVALUATING
    assert time.monotonic() - t0 < 0.3
    assert arrived.wait(2.0)
    assert late == [("x", "slow value")]


def test_a_runaway_watch_is_stopped_at_its_limit():
    late = []
    arrived = threading.Event()

    def forever(_expr):
        while True:  # pure Python bytecode: interruptible
            pass

    ev = WatchEvaluator(forever, on_late=lambda e, t: (late.append(t), arrived.set()),
                        wait=0.05, limit=0.3)
    assert ev("forever") == EVALUATING
    assert arrived.wait(3.0)
    assert late == [over_limit(0.3)]


def test_only_the_latest_request_for_an_expression_is_delivered():
    late = []
    gate = threading.Event()
    calls = []

    def evaluate(expr):
        calls.append(expr)
        if len(calls) == 1:
            gate.wait(2.0)  # the first request is still running when the second finishes
            return "stale"
        return "fresh"

    ev = WatchEvaluator(evaluate, on_late=lambda e, t: late.append(t), wait=0.05)
    assert ev("w") == EVALUATING
    assert ev("w") == "fresh"
    gate.set()
    time.sleep(0.3)
    assert late == []  # the stale result of the first request was dropped
