"""Optional observer of the engine: what the debugger, the graph view and the symbolic check see.

The engine calls these hooks only when an observer is attached (one ``is not None`` test per op
otherwise). All callbacks run synchronously on the thread doing the work, so a debugger may block
inside ``on_backward_step`` to pause the backward pass between nodes.

Who observes, in one place (this module):
- ``set_observer`` / ``observing``: the process-wide observer, for threads without a route.
- ``attach`` / ``detach`` / ``attached``: a thread's route, the observers that thread's events go
  to instead (several: each callback goes to each, in attach order). A script run, a debug
  session and a symbolic check use the engine on different threads at once, each with its own.
- ``routed``: replace the calling thread's route for a while (a replay whose nodes must not
  reach the run's observers).
``current`` is the process-wide observer while no thread has a route, else the hub that routes.
"""

from __future__ import annotations

import contextlib
import os
import threading
from sys import _getframe
from threading import get_ident

import numpy as np

from .tensor_data import Tensor, _wrap

_ENGINE_DIR = os.path.dirname(os.path.abspath(__file__))

# Read directly by the engine's hot paths: `from engine import observe; observe.current`.
current = None

_NO_ROUTE = object()  # routed(): the thread had no route before


class Observer:
    """Base class with no-op callbacks; subclass and override what you need.

    Every tensor argument is an ``engine.Tensor``; ``node`` is a ``grad_fn`` object. An observer
    whose ``raw_grads`` is true gets the grads of ``on_backward_step`` and ``on_accumulate`` as
    the engine holds them instead: numpy arrays (Tensors under ``create_graph``) in sequences,
    None where nothing flows. Wrapping each grad in a Tensor was most of what observing a plain
    training loop cost.
    """

    raw_grads = False
    # False lets the engine skip on_accumulate altogether (the hub's, when nobody takes it: a
    # training loop accumulates into every parameter at every step)
    takes_accumulate = True

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


_CALLBACKS = tuple(name for name in vars(Observer) if name.startswith("on_"))


class _Hub(Observer):
    """Installed as ``current`` while some thread has a route: each callback goes to the calling
    thread's observers, or to the process-wide observer. ``routes`` is replaced, never mutated,
    so the engine's threads read it without a lock. It takes raw grads and wraps them for the
    observers that want Tensors.

    Per callback, ``plan`` holds ({thread: the bound methods of that thread's observers that
    override it}, the process-wide observer's), rebuilt whenever a route changes: an event
    costs one lookup, and a callback nobody on the route overrides (``on_free`` for most
    observers) calls nothing."""

    raw_grads = True

    def __init__(self):
        self.routes: dict[int, tuple] = {}
        self.everywhere: tuple = ()
        self.ends: dict[tuple[int, int], object] = {}  # (thread, id(observer)) -> until()
        self.plan: dict[str, dict] = {}
        self.replan()

    def replan(self) -> None:
        """Rebuild ``plan`` from ``routes`` and ``everywhere`` (called under the module lock)."""
        plan = {}
        for name in _CALLBACKS:
            wrap = name in _WRAPPED
            plan[name] = ({ident: _bound(obs, name, wrap) for ident, obs in self.routes.items()},
                          _bound(self.everywhere, name, wrap))
        self.plan = plan
        # the per-op ones, unpacked: read once per event
        self._nodes, self._nodes_all = plan["on_node"]
        self._steps, self._steps_all = plan["on_backward_step"]
        self._frees, self._frees_all = plan["on_free"]
        accs, accs_all = plan["on_accumulate"]
        self.takes_accumulate = bool(accs_all) or any(accs.values())

    def targets(self) -> tuple:
        return self.routes.get(threading.get_ident(), self.everywhere)

    def on_node(self, node, inputs, output, where):
        for f in self._nodes.get(get_ident(), self._nodes_all):
            f(node, inputs, output, where)

    def on_backward_step(self, node, grads_in, grads_out):
        # the engine resolves this once per pass (backward_sinks); a direct call resolves it too
        step = backward_sinks(self)[0]
        if step is not None:
            step(node, grads_in, grads_out)

    def on_accumulate(self, tensor, grad, total):
        table, everywhere = self.plan["on_accumulate"]
        for f, raw in table.get(get_ident(), everywhere):
            f(tensor, grad if raw else _as_tensor(grad), total)

    def on_free(self, node):
        for f in self._frees.get(get_ident(), self._frees_all):
            f(node)

    def on_backward_end(self, error=None):
        table, everywhere = self.plan["on_backward_end"]
        for f in table.get(get_ident(), everywhere):
            f(error)
        if self.ends:
            ident = threading.get_ident()
            for (thread, _), (obs, until) in list(self.ends.items()):
                if thread == ident and until():
                    detach(obs, ident)


# these two give the observers that don't take raw grads Tensors: their plans pair each method
# with the observer's raw_grads
_WRAPPED = ("on_backward_step", "on_accumulate")


def _overrides(obs, name) -> bool:
    own = getattr(type(obs), name, None)
    return own is not getattr(Observer, name) or name in getattr(obs, "__dict__", ())


def _bound(observers, name, wrap) -> tuple:
    """The bound ``name`` methods of the ``observers`` that override it, in order (with the
    observer's ``raw_grads`` if ``wrap``)."""
    out = []
    for obs in observers:
        if _overrides(obs, name):
            f = getattr(obs, name)
            out.append((f, bool(getattr(obs, "raw_grads", False))) if wrap else f)
    return tuple(out)


def _fan_out(name):
    def forward(self, *args):
        table, everywhere = self.plan[name]
        for f in table.get(get_ident(), everywhere):
            f(*args)

    forward.__name__ = name
    return forward


for _name in _CALLBACKS:
    if _name not in vars(_Hub):
        setattr(_Hub, _name, _fan_out(_name))


def _as_tensor(g):
    """A raw grad as the Tensor an observer without ``raw_grads`` is given."""
    if g is None or isinstance(g, Tensor):
        return g
    return _wrap(np.asarray(g))

_hub = _Hub()
_lock = threading.Lock()


def _install() -> None:
    global current
    _hub.replan()
    current = _hub if _hub.routes else (_hub.everywhere[0] if _hub.everywhere else None)


def set_observer(observer):
    """Make ``observer`` (or None) the process-wide observer; returns the previous one."""
    with _lock:
        previous = _hub.everywhere[0] if _hub.everywhere else None
        _hub.everywhere = () if observer is None else (observer,)
        _install()
    return previous


@contextlib.contextmanager
def observing(observer):
    previous = set_observer(observer)
    try:
        yield observer
    finally:
        set_observer(previous)


def attach(observer, ident: int | None = None, *, until=None) -> None:
    """Send the events of thread ``ident`` (default: the caller) to ``observer`` too, after the
    observers attached there before. ``until()``, if given, is asked after each backward pass
    of that thread; once true, the observer is detached (a recorder that has all it keeps)."""
    ident = threading.get_ident() if ident is None else ident
    with _lock:
        _hub.routes = {**_hub.routes, ident: (*_hub.routes.get(ident, ()), observer)}
        if until is not None:
            _hub.ends = {**_hub.ends, (ident, id(observer)): (observer, until)}
        _install()


def detach(observer=None, ident: int | None = None) -> None:
    """Stop sending thread ``ident``'s events to ``observer`` (None: to any observer of that
    thread). Idempotent."""
    ident = threading.get_ident() if ident is None else ident
    with _lock:
        kept = () if observer is None else tuple(
            o for o in _hub.routes.get(ident, ()) if o is not observer)
        routes = dict(_hub.routes)
        if kept:
            routes[ident] = kept
        else:
            routes.pop(ident, None)
        _hub.routes = routes
        _hub.ends = {k: v for k, v in _hub.ends.items()
                     if k[0] != ident or (observer is not None and v[0] is not observer)}
        _install()


@contextlib.contextmanager
def attached(*observers):
    """The calling thread's events also go to ``observers`` inside the block."""
    for obs in observers:
        attach(obs)
    try:
        yield observers
    finally:
        for obs in observers:
            detach(obs)


@contextlib.contextmanager
def routed(*observers):
    """Inside the block, the calling thread's events go to ``observers`` only (none: nowhere);
    its route before is restored after. Other threads are not affected."""
    ident = threading.get_ident()
    with _lock:
        before = _hub.routes.get(ident, _NO_ROUTE)
        _hub.routes = {**_hub.routes, ident: observers}
        _install()
    try:
        yield observers
    finally:
        with _lock:
            routes = dict(_hub.routes)
            if routes.get(ident) is observers:  # else it was detached meanwhile: leave that be
                if before is _NO_ROUTE:
                    del routes[ident]
                else:
                    routes[ident] = before
            _hub.routes = routes
            _install()


def backward_sinks(obs) -> tuple:
    """``(step, free)`` for a backward pass on the calling thread, ``obs`` being ``current``:
    ``step(node, grads_in, grads_out)`` takes the grads as the engine holds them (observers
    without ``raw_grads`` get Tensors through it), ``free(node)``; None where no observer
    takes the event. Resolved once per pass: per node, a training loop's backward then costs
    one call into the observer that wants the event, and none for the others."""
    if obs is None:
        return None, None
    if obs is _hub:
        ident = get_ident()
        steps = obs._steps.get(ident, obs._steps_all)
        frees = obs._frees.get(ident, obs._frees_all)
    else:
        steps = _bound((obs,), "on_backward_step", True)
        frees = _bound((obs,), "on_free", False)
    if not steps:
        step = None
    elif len(steps) == 1 and steps[0][1]:
        step = steps[0][0]
    else:
        def step(node, grads_in, grads_out):
            wrapped = None
            for f, raw in steps:
                if raw:
                    f(node, grads_in, grads_out)
                else:
                    if wrapped is None:
                        wrapped = (tuple(map(_as_tensor, grads_in)),
                                   tuple(map(_as_tensor, grads_out)))
                    f(node, *wrapped)
    if not frees:
        free = None
    elif len(frees) == 1:
        free = frees[0]
    else:
        def free(node):
            for f in frees:
                f(node)
    return step, free


def user_location(depth: int = 1):
    """(filename, lineno) of the innermost frame outside the engine package, or None, looking
    outward from the frame ``depth`` levels above this call (1: the caller; a caller passes more
    when the frames in between are the engine's by construction). CPython 3.11 builds a frame
    object for each frame a walk visits, which made this walk most of an observed op's cost."""
    try:
        frame = _getframe(depth)
    except ValueError:  # a shallower stack than the caller assumed
        frame = None
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        if not filename.startswith(_ENGINE_DIR):
            # f_lineno decodes the code's line table from its start on every read. The key is
            # the code's id, not the code: hashing a code object hashes its whole bytecode and
            # constants (a script's module code: ~0.4 us per op); the entry holds the code,
            # so its id is not reused while the entry lives, and is checked by identity
            key = (id(code), frame.f_lasti)
            hit = _WHERE.get(key)
            if hit is not None and hit[0] is code:
                return hit[1]
            if len(_WHERE) > 50_000:  # a long session's scripts: start over
                _WHERE.clear()
            where = (filename, frame.f_lineno)
            _WHERE[key] = (code, where)
            return where
        frame = frame.f_back
    return None


_WHERE: dict = {}  # (id(code), f_lasti) -> (code, (filename, lineno)) for user_location
