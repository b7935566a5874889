"""engine.observe's hub: a process-wide observer, per-thread routes with several observers each,
``routed`` swaps, ``until`` ends; nothing attached leaves ``current`` None."""

from __future__ import annotations

import threading

import pytest

import engine
from engine import observe


class Log(observe.Observer):
    def __init__(self, name, log):
        self.name, self.log = name, log

    def on_node(self, node, inputs, output, where):
        self.log.append((self.name, "node", node.name()))

    def on_backward_end(self, error=None):
        self.log.append((self.name, "end"))


@pytest.fixture(autouse=True)
def clean():
    previous = observe.set_observer(None)
    yield
    observe.detach()
    observe.set_observer(previous)


def mul():
    x = engine.ones(2, requires_grad=True)
    return (x * 2).sum()


def test_nothing_attached_leaves_current_none_and_a_lone_observer_is_current():
    log = []
    a = Log("a", log)
    with observe.observing(a):
        assert observe.current is a  # no hub in between while no thread has a route
        mul()
    assert observe.current is None
    assert log == [("a", "node", "MulBackward0"), ("a", "node", "SumBackward0")]


def test_one_thread_fans_out_in_attach_order():
    log = []
    with observe.attached(Log("a", log), Log("b", log)):
        mul().backward()
    assert observe.current is None
    assert log == [("a", "node", "MulBackward0"), ("b", "node", "MulBackward0"),
                   ("a", "node", "SumBackward0"), ("b", "node", "SumBackward0"),
                   ("a", "end"), ("b", "end")]


def test_each_thread_reaches_only_its_own_route_and_others_the_process_wide_one():
    log = []
    everywhere = Log("everywhere", log)
    observe.set_observer(everywhere)
    ready, go = threading.Barrier(2), threading.Event()

    def worker():
        observe.attach(Log("worker", log))
        ready.wait()
        go.wait()
        mul()
        observe.detach()

    t = threading.Thread(target=worker)
    t.start()
    ready.wait()
    assert observe.current is not everywhere  # a route exists: the hub dispatches
    engine.ones(1, requires_grad=True) * 3  # this thread has no route
    go.set()
    t.join()
    assert observe.current is everywhere  # the route is gone: the process-wide one again
    assert log == [("everywhere", "node", "MulBackward0"), ("worker", "node", "MulBackward0"),
                   ("worker", "node", "SumBackward0")]


def test_routed_replaces_the_route_for_a_while_and_restores_it():
    log = []
    run, replay = Log("run", log), Log("replay", log)
    observe.attach(run)
    with observe.routed(replay):
        engine.ones(1, requires_grad=True) * 2
    engine.ones(1, requires_grad=True) * 3
    with observe.routed():  # nowhere
        engine.ones(1, requires_grad=True) * 4
    observe.detach(run)
    assert observe.current is None
    assert log == [("replay", "node", "MulBackward0"), ("run", "node", "MulBackward0")]


def test_routed_does_not_bring_back_a_route_detached_meanwhile():
    log = []
    observe.attach(Log("run", log))
    with observe.routed(Log("replay", log)):
        observe.detach()  # e.g. Stop detaches the run's thread from another thread
    assert observe.current is None


def test_until_detaches_an_observer_after_a_backward_pass():
    log = []
    calls = []
    a, b = Log("a", log), Log("b", log)
    observe.attach(a)
    observe.attach(b, until=lambda: len(calls) >= 1)
    calls.append(1)
    mul().backward()
    log.clear()
    mul()
    observe.detach()
    assert log == [("a", "node", "MulBackward0"), ("a", "node", "SumBackward0")]


def test_detach_one_observer_keeps_the_others():
    log = []
    a, b = Log("a", log), Log("b", log)
    observe.attach(a)
    observe.attach(b)
    observe.detach(a)
    engine.ones(1, requires_grad=True) * 2
    observe.detach(b)
    observe.detach(b)  # idempotent
    assert observe.current is None
    assert log == [("b", "node", "MulBackward0")]
