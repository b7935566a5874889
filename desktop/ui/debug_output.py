"""The debugged run's printed output, kept in chunks so that a past stop shows the output
printed by then and the live stop shows all of it."""

from __future__ import annotations


class DebugOutput:
    """Feeds ``pane`` (an ``OutputPane``): while the live stop is shown, new chunks are
    appended as they arrive; ``show_upto`` rewrites the pane for a past stop."""

    def __init__(self, pane):
        self.pane = pane
        self.reset()

    def reset(self) -> None:
        self.chunks: list[tuple[str, str]] = []
        self.total = self.shown = 0  # characters printed / shown in the pane

    def add(self, text: str, stream: str) -> None:
        """A chunk printed by the running script."""
        showing_all = self.shown == self.total
        self.chunks.append((text, stream))
        self.total += len(text)
        if showing_all:  # else a past state is shown with the output printed by then
            self.pane.append(text, stream)
            self.shown = self.total

    def show_upto(self, length: int) -> None:
        """The output up to ``length`` characters (a past state's output)."""
        length = min(length, self.total)
        if length == self.shown:
            return
        self.pane.text.clear()
        left = length
        for text, stream in self.chunks:
            if left <= 0:
                break
            self.pane.append(text[:left], stream)
            left -= len(text)
        self.shown = length

    def finished(self, output: str) -> None:
        """The run ended and the pane shows its whole ``output``."""
        self.chunks = [(output, "stdout")]
        self.shown = self.total = len(output)
