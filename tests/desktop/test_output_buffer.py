"""The buffer between a running script's thread and the Output pane: chunks of one stream are
joined, streams keep their order, and past the limit the rest is counted, not kept."""

from __future__ import annotations

import threading

from desktop.model import OutputChunk
from desktop.ui.run_feature import OutputBuffer


def test_consecutive_chunks_of_one_stream_are_joined_in_order():
    buf = OutputBuffer()
    for text, stream in (("a", "stdout"), ("b", "stdout"), ("E", "stderr"), ("c", "stdout"),
                         ("", "stderr")):
        buf.add(OutputChunk(text, stream))
    assert buf.take() == [("ab", "stdout"), ("E", "stderr"), ("c", "stdout")]
    assert buf.take() == []


def test_past_the_limit_the_rest_is_counted_and_said_once():
    buf = OutputBuffer(limit=5)
    buf.add(OutputChunk("123456", "stdout"))  # over the limit after this one
    buf.add(OutputChunk("7890", "stdout"))
    buf.add(OutputChunk("xy", "stderr"))
    assert buf.take() == [("123456", "stdout"),
                          ("\n[… 6 characters not shown while running …]\n", "stderr")]
    buf.add(OutputChunk("next", "stdout"))  # a take starts the count afresh
    assert buf.take() == [("next", "stdout")]


def test_clear_forgets_chunks_and_the_count():
    buf = OutputBuffer(limit=1)
    buf.add(OutputChunk("ab", "stdout"))
    buf.add(OutputChunk("cd", "stdout"))
    buf.clear()
    assert buf.take() == []


def test_chunks_from_several_threads_are_all_kept():
    buf = OutputBuffer()

    def write(stream):
        for _ in range(500):
            buf.add(OutputChunk("x", stream))

    threads = [threading.Thread(target=write, args=(s,)) for s in ("stdout", "stderr")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = buf.take()
    assert sum(len(text) for text, _ in got) == 1000
    assert all(a[1] != b[1] for a, b in zip(got, got[1:], strict=False))  # runs are joined
