"""The GUI-thread collector runs full collections through the engine's big-graph policy."""

import gc

from desktop.ui import gui_gc


def test_a_full_collection_goes_through_the_big_graph_policy(qapp, monkeypatch):
    calls = []
    monkeypatch.setattr(gui_gc.gc_policy, "collect", lambda generation=2: calls.append(generation))
    monkeypatch.setattr(gui_gc.gc, "collect", lambda generation=2: calls.append(("gc", generation)))
    collector = gui_gc.GuiThreadCollector.__new__(gui_gc.GuiThreadCollector)
    collector.threshold = (10, 10, 10)
    collector.long_lived = 1000
    monkeypatch.setattr(gc, "get_count", lambda: (11, 11, 11))
    monkeypatch.setattr(gc, "get_objects", lambda generation=None: [None] * 1250)
    collector.check()
    assert calls == [("gc", 0), ("gc", 1), 2]
    assert collector.long_lived == 1250  # counted afresh after the full collection


def test_no_full_collection_before_the_oldest_generation_grew_by_a_quarter(qapp, monkeypatch):
    # CPython's automatic rule: a full collection rescans the whole application, so it waits
    # until the long-lived objects have grown by 25%; the younger generations are collected
    calls = []
    monkeypatch.setattr(gui_gc.gc_policy, "collect", lambda generation=2: calls.append(generation))
    monkeypatch.setattr(gui_gc.gc, "collect", lambda generation=2: calls.append(("gc", generation)))
    collector = gui_gc.GuiThreadCollector.__new__(gui_gc.GuiThreadCollector)
    collector.threshold = (10, 10, 10)
    collector.long_lived = 1000
    monkeypatch.setattr(gc, "get_count", lambda: (11, 11, 11))
    monkeypatch.setattr(gc, "get_objects", lambda generation=None: [None] * 1249)
    collector.check()
    assert calls == [("gc", 0), ("gc", 1)]
    assert collector.long_lived == 1000
