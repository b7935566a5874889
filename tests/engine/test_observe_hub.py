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


class Steps(observe.Observer):
    """Takes backward steps and frees; ``raw`` chooses the grads' form."""

    def __init__(self, log, raw):
        self.log, self.raw_grads = log, raw

    def on_backward_step(self, node, grads_in, grads_out):
        self.log.append((self.raw_grads, node.name(), tuple(type(g).__name__ for g in grads_in)))

    def on_free(self, node):
        self.log.append(("free", node.name()))


def test_a_backward_pass_sends_steps_and_frees_to_each_observer_in_its_grad_form():
    log = []
    with observe.attached(Steps(log, raw=True), Steps(log, raw=False)):
        mul().backward()
    # per node: the raw observer gets numpy grads, the other Tensors, in attach order
    assert log[:2] == [(True, "SumBackward0", ("ndarray",)), (False, "SumBackward0", ("Tensor",))]
    assert (True, "MulBackward0", ("ndarray",)) in log and (False, "MulBackward0", ("Tensor",)) in log
    assert log.count(("free", "MulBackward0")) == 2  # mul saved a tensor; each observer hears it
    assert observe.backward_sinks(observe.current) == (None, None)  # nothing is attached now


def test_a_lone_raw_observer_is_called_directly_and_nobody_means_no_sink():
    log = []
    lone = Steps(log, raw=True)
    with observe.attached(lone):
        step, free = observe.backward_sinks(observe.current)
        assert step == lone.on_backward_step and free == lone.on_free
    with observe.attached(Log("a", [])):  # takes nodes, not steps or frees
        assert observe.backward_sinks(observe.current) == (None, None)


class Acc(observe.Observer):
    def __init__(self, log):
        self.log = log

    def on_accumulate(self, tensor, grad, total):
        self.log.append(total.tolist())


def test_accumulations_are_skipped_only_while_no_observer_anywhere_takes_them():
    log = []
    with observe.attached(Log("a", [])):
        assert observe.current.takes_accumulate is False
        mul().backward()
    done = threading.Event()

    def other_thread():
        with observe.attached(Acc(log)):
            done.wait(5)

    t = threading.Thread(target=other_thread)
    t.start()
    try:
        while observe.current is None or not observe.current.takes_accumulate:
            threading.Event().wait(0.01)
        with observe.attached(Log("a", [])):
            mul().backward()  # this thread's accumulation goes to this thread's route only
        assert log == []
    finally:
        done.set()
        t.join()
    with observe.attached(Acc(log)):
        mul().backward()
    assert log == [[2.0, 2.0]]
