"""The GUI-thread collector runs full collections through the engine's big-graph policy."""

import gc

from desktop.ui import gui_gc


def test_a_full_collection_goes_through_the_big_graph_policy(qapp, monkeypatch):
    calls = []
    monkeypatch.setattr(gui_gc.gc_policy, "collect", lambda generation=2: calls.append(generation))
    monkeypatch.setattr(gui_gc.gc, "collect", lambda generation=2: calls.append(("gc", generation)))
    collector = gui_gc.GuiThreadCollector.__new__(gui_gc.GuiThreadCollector)
    collector.threshold = (10, 10, 10)
    monkeypatch.setattr(gc, "get_count", lambda: (11, 11, 11))
    collector.check()
    assert calls == [("gc", 0), ("gc", 1), 2]
