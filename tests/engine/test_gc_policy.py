"""The collector policy for big live graphs (engine.gc_policy): the heap is frozen while a big
graph lives, a dropped graph still dies at once, and cyclic garbage made meanwhile is collected
once the graph is gone or by an explicit gc.collect()."""

import gc
import weakref

import pytest

import engine
from engine import gc_policy


class _Cyclic:
    """An object in a reference cycle with itself: only the cyclic collector frees it."""

    def __init__(self):
        self.me = self


@pytest.fixture
def small_policy(monkeypatch):
    """Full collections every few hundred allocations and a small live-node limit, so a graph of
    a few thousand nodes exercises the policy; the collector's settings come back after."""
    gc.collect()
    assert not gc_policy.frozen()
    threshold = gc.get_threshold()
    # the app collects from a GUI timer with automatic collection off (desktop.ui.gui_gc); a
    # desktop test earlier in the session leaves it off: these tests need it on
    automatic = gc.isenabled()
    gc.enable()
    monkeypatch.setattr(gc_policy, "LIVE_NODES", 2_000)
    # the live-node estimate starts afresh: a node sampled in an earlier test and still alive
    # there stands for every node recorded since it, and would keep the heap frozen here
    monkeypatch.setattr(gc_policy, "_samples", [])
    gc_policy.install()
    gc.set_threshold(100, 2, 2)
    yield
    gc.set_threshold(*threshold)
    gc.collect()
    if not automatic:
        gc.disable()
    assert not gc_policy.frozen()


def _big_rounds():
    """Rounds of _chain (4 nodes, about 17 tracked objects each) that grow the heap by more than
    half: CPython starts a full collection only once the heap has grown by a quarter since the
    last one, so a graph must outgrow the heap the earlier tests left alive."""
    return max(2_500, len(gc.get_objects()) // 30)


def _chain(x, rounds, garbage=None):
    y = x
    for i in range(rounds):
        y = (y * 1.01 + 0.1).tanh() - 0.05
        if garbage is not None and i % 10 == 0:
            garbage.append(weakref.ref(_Cyclic()))  # dropped at once: cyclic garbage
    return y


def test_policy_is_installed_with_the_engine():
    assert gc_policy._on_collect in gc.callbacks


def test_big_graph_freezes_the_heap_and_a_dropped_graph_dies(small_policy):
    x = engine.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)
    y = _chain(x, _big_rounds())
    assert gc_policy.frozen()
    assert gc_policy.live_nodes() >= 2_000
    node = weakref.ref(y.grad_fn.next_functions[0][0])
    first = y.grad_fn
    while first.next_functions[0][0] is not None and first.next_functions[0][0].next_functions:
        first = first.next_functions[0][0]
    first = weakref.ref(first)
    assert node() is not None and first() is not None
    del y
    # reference counting frees frozen objects: the whole chain is gone without a collection
    assert node() is None
    assert first() is None


def test_cycles_made_while_frozen_are_collected_after_the_graph_is_gone(small_policy):
    x = engine.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)
    garbage = []
    y = _chain(x, _big_rounds(), garbage)
    assert gc_policy.frozen()
    assert any(r() is not None for r in garbage)  # frozen before the collector could see it
    y.backward(engine.ones(4))
    del y
    # the next automatic full collection finds no big graph alive and unfreezes
    keep = [[] for _ in range(20_000)]  # allocations that survive: collections run
    assert not gc_policy.frozen()
    del keep
    assert all(r() is None for r in garbage)
    assert x.grad is not None


def test_explicit_collect_unfreezes_even_while_the_graph_lives(small_policy):
    x = engine.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)
    garbage = []
    y = _chain(x, _big_rounds(), garbage)
    assert gc_policy.frozen()
    gc.collect()
    assert not gc_policy.frozen()
    assert all(r() is None for r in garbage)
    assert y.grad_fn is not None


def test_many_small_graphs_never_freeze(small_policy):
    """A training loop of small graphs keeps few nodes alive: the collector runs as usual."""
    w = engine.tensor([0.5, -0.5], requires_grad=True)
    for _ in range(300):
        loss = _chain(w, 10).sum()  # 41 nodes, dropped each step
        loss.backward()
        w.grad = None
        assert not gc_policy.frozen()


def test_uninstall_unfreezes(small_policy):
    x = engine.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)
    y = _chain(x, _big_rounds())
    assert gc_policy.frozen()
    gc_policy.uninstall()
    try:
        assert not gc_policy.frozen()
        assert gc.get_freeze_count() == 0
        assert gc_policy._on_collect not in gc.callbacks
    finally:
        gc_policy.install()
    del y


def test_a_scheduled_collection_keeps_the_big_graph_frozen(small_policy):
    """With automatic collection off, a scheduler's gc_policy.collect() applies the policy;
    a plain gc.collect() still scans everything."""
    x = engine.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)
    garbage = []
    y = _chain(x, _big_rounds(), garbage)
    assert gc_policy.frozen()
    gc.disable()
    try:
        gc_policy.collect()
        assert gc_policy.frozen()
        gc.collect()
        assert not gc_policy.frozen()
        assert all(r() is None for r in garbage)
        gc_policy.collect()  # the graph is still alive: frozen again
        assert gc_policy.frozen()
        del y
        gc_policy.collect()  # the graph is gone: unfrozen and scanned
        assert not gc_policy.frozen()
    finally:
        gc.enable()


def test_garbage_is_collected_while_big_graphs_stay_alive(small_policy, monkeypatch):
    """Frozen rounds add up: once the collector has let FULL_EVERY times the heap pass, a real
    full collection runs although the graph is still alive."""
    x = engine.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)
    garbage = []
    y = _chain(x, _big_rounds(), garbage)
    assert gc_policy.frozen()
    assert any(r() is not None for r in garbage)
    monkeypatch.setattr(gc_policy, "FULL_EVERY", 0.05)
    keep = []
    for _ in range(200):
        keep.append([[] for _ in range(1_000)])  # survivors: the collector counts them
        if all(r() is None for r in garbage):
            break
    assert all(r() is None for r in garbage)
    assert y.grad_fn is not None
    del keep


def test_a_node_kept_from_dropped_graphs_does_not_keep_the_heap_frozen(small_policy):
    """Many small graphs alive at once freeze the heap. When they are dropped but one sampled
    node is kept (a loss held for a plot), that node stands for its share of the samples, not
    for every node recorded around it: the next full collection scans everything again."""
    w = engine.tensor([0.5, -0.5], requires_grad=True)
    gc.disable()
    try:
        # no collection while they are built: the next full collection samples one long span
        graphs = [_chain(w, 10).sum() for _ in range(1_000)]  # 41,000 nodes
        gc_policy.collect()
        assert gc_policy.frozen()
        assert gc_policy.live_nodes() >= 30_000
        sampled = [r() for refs, _ in gc_policy._samples for r in refs]
        kept = next(n for n in sampled if n is not None)
        del graphs, sampled
        assert gc_policy.live_nodes() < gc_policy.LIVE_NODES
        gc_policy.collect()
        assert not gc_policy.frozen()
        assert kept.next_functions  # still alive, with its own small graph only
    finally:
        gc.enable()
