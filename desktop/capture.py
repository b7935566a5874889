"""Per-thread capture of a user script's output (no Qt).

A script runs in a worker thread while the GUI (or pytest, or another run) keeps using the real
``sys.stdout``. Swapping ``sys.stdout`` for the duration of a run would steal everyone else's
output, so instead a proxy is installed over ``sys.stdout``/``sys.stderr`` that routes writes
made *from a registered thread* to that thread's sink and passes all other writes through.
The script's own ``print`` is also replaced in its builtins (see ``runner``), which keeps
working even if something else swaps ``sys.stdout`` under us.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable

from desktop.model import OutputChunk

MAX_OUTPUT_CHARS = 2_000_000  # beyond this a runaway print loop would exhaust memory
_TRUNCATED = "\n[output truncated: more than 2,000,000 characters]\n"


class OutputSink:
    """Collects one run's output and forwards each chunk to ``on_output`` (any thread).

    ``keep=False``: forward only, keep nothing and never truncate (a terminal can take any
    amount of output; only the kept copy needs ``MAX_OUTPUT_CHARS``)."""

    def __init__(self, on_output: Callable[[OutputChunk], None] | None = None,
                 keep: bool = True):
        self.on_output = on_output
        self.keep = keep
        self.closed = False  # set when the run is over: late writes of an abandoned thread drop
        self._parts: list[str] = []
        self._streams: list[tuple[str, int]] = []  # (stream, number of parts) runs, in order
        self._size = 0
        self._lock = threading.Lock()

    def write(self, text: str, stream: str = "stdout") -> None:
        if not text or self.closed:
            return
        if not self.keep:
            self._forward(text, stream)
            return
        with self._lock:
            if self._size >= MAX_OUTPUT_CHARS:
                return
            if self._size + len(text) >= MAX_OUTPUT_CHARS:
                text = text[: MAX_OUTPUT_CHARS - self._size] + _TRUNCATED
            self._size += len(text)
            self._parts.append(text)
            if self._streams and self._streams[-1][0] == stream:
                self._streams[-1] = (stream, self._streams[-1][1] + 1)
            else:
                self._streams.append((stream, 1))
        self._forward(text, stream)

    def _forward(self, text: str, stream: str) -> None:
        if self.on_output is not None:
            try:
                self.on_output(OutputChunk(text, stream))
            except Exception:  # a GUI bug must not surface as an error at the script's print()
                if sys.__stderr__ is not None:  # (never via sys.stderr: that routes back here)
                    traceback.print_exc(file=sys.__stderr__)

    def text(self) -> str:
        with self._lock:
            return "".join(self._parts)

    def chunks(self) -> tuple[OutputChunk, ...]:
        """The output as it came, one chunk per run of one stream (stderr stays apart)."""
        with self._lock:
            out, start = [], 0
            for stream, count in self._streams:
                out.append(OutputChunk("".join(self._parts[start:start + count]), stream))
                start += count
            return tuple(out)


_sinks: dict[int, OutputSink] = {}  # thread ident -> sink; the proxies stay while non-empty
_install_lock = threading.Lock()


class _RoutedStream:
    """Stands in for sys.stdout/sys.stderr: registered threads write to their sink."""

    def __init__(self, stream: str, fallback):
        self._stream = stream
        self._fallback = fallback

    def write(self, text):
        sink = _sinks.get(threading.get_ident())
        if sink is not None:
            sink.write(str(text), self._stream)
        elif self._fallback is not None:  # None under pythonw: there is no console
            return self._fallback.write(text)
        return len(text)

    def flush(self):
        if threading.get_ident() not in _sinks and self._fallback is not None:
            self._fallback.flush()

    def isatty(self):
        if threading.get_ident() in _sinks or self._fallback is None:
            return False
        return self._fallback.isatty()

    def __getattr__(self, name):  # encoding, fileno, ... of the real stream
        return getattr(self._fallback, name)


def current_sink() -> OutputSink | None:
    return _sinks.get(threading.get_ident())


def register(sink: OutputSink, ident: int | None = None) -> None:
    """Route sys.stdout/sys.stderr writes of thread ``ident`` (default: the caller) to ``sink``."""
    with _install_lock:
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if not isinstance(stream, _RoutedStream):
                setattr(sys, name, _RoutedStream(name, stream))
        _sinks[threading.get_ident() if ident is None else ident] = sink


def unregister(ident: int | None = None) -> None:
    """Undo ``register`` (idempotent); remove the proxies when no thread is routed any more."""
    with _install_lock:
        _sinks.pop(threading.get_ident() if ident is None else ident, None)
        if _sinks:
            return
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            # Leave it alone if someone replaced our proxy meanwhile (e.g. pytest capture).
            if isinstance(stream, _RoutedStream):
                setattr(sys, name, stream._fallback)
