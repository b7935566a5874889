"""The GUI-thread collector runs full collections through the engine's big-graph policy, and
only once the oldest generation has grown by a quarter (CPython's automatic rule)."""

import gc

from desktop.ui import gui_gc


def _check(monkeypatch, oldest_now: int):
    """One timer tick with every generation over its threshold, 1000 long-lived objects after
    the last full collection and ``oldest_now`` in the oldest generation now: the collections
    it ran, and the collector."""
    calls = []
    monkeypatch.setattr(gui_gc.gc_policy, "collect", lambda generation=2: calls.append(generation))
    monkeypatch.setattr(gui_gc.gc, "collect", lambda generation=2: calls.append(("gc", generation)))
    collector = gui_gc.GuiThreadCollector.__new__(gui_gc.GuiThreadCollector)
    collector.threshold = (10, 10, 10)
    collector.long_lived = 1000
    monkeypatch.setattr(gc, "get_count", lambda: (11, 11, 11))
    monkeypatch.setattr(gc, "get_objects", lambda generation=None: [None] * oldest_now)
    collector.check()
    return calls, collector


def test_a_full_collection_goes_through_the_big_graph_policy(qapp, monkeypatch):
    calls, collector = _check(monkeypatch, 1250)
    assert calls == [("gc", 0), ("gc", 1), 2]
    assert collector.long_lived == 1250  # counted afresh after the full collection


def test_no_full_collection_before_the_oldest_generation_grew_by_a_quarter(qapp, monkeypatch):
    # a full collection rescans the whole application: the younger generations are collected
    calls, collector = _check(monkeypatch, 1249)
    assert calls == [("gc", 0), ("gc", 1)]
    assert collector.long_lived == 1000
