"""Optional observer of the engine: what the debugger, the graph view and the symbolic check see.

The engine calls these hooks only when an observer is attached (one ``is not None`` test per op
otherwise). All callbacks run synchronously on the thread doing the work, so a debugger may block
inside ``on_backward_step`` to pause the backward pass between nodes.
"""

from __future__ import annotations

import contextlib
import os
import sys

_ENGINE_DIR = os.path.dirname(os.path.abspath(__file__))

# Read directly by the engine's hot paths: `from engine import observe; observe.current`.
current = None


class Observer:
    """Base class with no-op callbacks; subclass and override what you need.

    Every tensor argument is an ``engine.Tensor``; ``node`` is a ``grad_fn`` object.
    """

    def on_node(self, node, inputs, output, where):
        """A graph node was created. ``inputs``: tensors and Python scalars passed to the op;
        ``output``: the result tensor (or tuple of tensors); ``where``: (filename, lineno) of the
        user's code that called the op, or None."""

    def on_backward_begin(self, roots, grads, retain_graph, create_graph, inputs):
        """A backward pass starts from ``roots`` (output tensors) seeded with ``grads``."""

    def on_backward_step(self, node, grads_in, grads_out):
        """``node`` ran: ``grads_in`` arrive per output of the node, ``grads_out`` leave per
        entry of ``node.next_functions`` (None where nothing flows)."""

    def on_accumulate(self, tensor, grad, total):
        """``grad`` was accumulated into leaf ``tensor.grad``, which is now ``total``."""

    def on_hook(self, tensor, hook, grad, result):
        """A hook from ``tensor.register_hook`` ran on ``grad`` and returned ``result``."""

    def on_retain_grad(self, tensor, grad):
        """A non-leaf tensor that called ``retain_grad()`` stored ``grad``."""

    def on_free(self, node):
        """``node`` released its saved tensors (the graph can't be walked again through it)."""

    def on_backward_end(self, error=None):
        """The backward pass finished (``error`` is the exception if it failed)."""


def set_observer(observer):
    """Attach ``observer`` (or None to detach); returns the previous one."""
    global current
    previous, current = current, observer
    return previous


@contextlib.contextmanager
def observing(observer):
    previous = set_observer(observer)
    try:
        yield observer
    finally:
        set_observer(previous)


def user_location():
    """(filename, lineno) of the innermost frame outside the engine package, or None."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_ENGINE_DIR):
            return filename, frame.f_lineno
        frame = frame.f_back
    return None
