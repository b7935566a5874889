"""Cyclic-GC policy while a big graph is alive.

Every recorded op leaves a few GC-tracked objects (the Tensor, its version list, the node and its
edge tuples). CPython runs a full collection each time the tracked heap has grown by a quarter,
and each one rescans the whole live graph: past ~50k live nodes a forward build gets about 3x
slower per node, all of it spent rescanning a graph that holds no garbage (graph objects are freed
by reference counting; the engine keeps its nodes free of cycles).

The policy: at the start of an automatic full collection, when the graphs alive hold at least
``LIVE_NODES`` nodes (and the heap has not grown ``FULL_EVERY`` times over since the last real
full collection), the heap is frozen (``gc.freeze``, a constant-time list splice) so that
collection, and the ones after it while the graph lives, scan only what was allocated since.
Frozen objects are still freed by reference counting, so a dropped graph dies at once. The first
full collection after the graphs have shrunk below the limit, and every explicit
``gc.collect()``, unfreezes first (``gc.unfreeze``, also a splice) and scans everything, so
cyclic garbage made meanwhile is collected then; and while big graphs stay alive, by the real
full collection that runs every ``FULL_EVERY``-fold growth: delayed, never leaked.

While frozen, each automatic generation-1 collection freezes too, so the objects that survived
generation 0 (the graph's new nodes) are scanned once, not twice. As ``gc.freeze`` zeroes the
count that starts a full collection, the full collection's decision is then taken at every
(threshold 2 + 1)-th generation-1 collection instead; when it is to scan, the heap is unfrozen
there and the next full collection scans everything.

Live nodes are estimated without touching the hot path: at each full collection up to
``SAMPLES`` nodes are sampled, spread over the young generations, and together stand for the
nodes recorded since the previous collection's samples (their span); each counts its share of
the span while it is alive. A node kept alive long after its graph (an old loss held for a
plot) then stands for a share, not for everything recorded around it. Nothing runs per op; the
callback is a few reads for the young collections and a walk of the young generations for
each decision.
"""

from __future__ import annotations

import gc
import weakref

from .node import AccumulateGrad, Node

LIVE_NODES = 5_000  # estimated live nodes from which full collections skip the frozen heap
# while frozen, a real full collection still runs once the allocations since the last one exceed
# this many times the heap it left: cyclic garbage made while big graphs keep being alive (a
# training loop of big graphs) is collected, at a cost amortised over that much allocation
FULL_EVERY = 16
SAMPLES = 32  # nodes sampled at each full collection, sharing the span since the last ones
_MAX_SAMPLES = 1024  # groups kept (the oldest are dropped)
_PROBE = 64  # objects looked at from each sampling point for a node

_samples: list = []  # [(weakrefs to the nodes sampled at one collection, their span)]
_last_seq = -1
_frozen = False  # frozen by this policy (undone before any explicit collection)
_scheduled = False  # collect() runs: an explicit collection that stands for an automatic one
_heap = 0  # tracked objects counted when freezing began (0: not counted since the last scan)
_allocs = 0  # allocations (as the collector counts them) since the last real full collection
_young = 0  # generation-1 collections since the last decision, while frozen
_scan = False  # a decision at a generation-1 collection unfroze: the next full one scans all


def _is_op_node(o) -> bool:
    """A recorded op's node. Leaves' AccumulateGrad nodes carry no recording order and are
    skipped, as is a node still being filled in by ``record`` (a collection can start on its
    allocations)."""
    return isinstance(o, Node) and type(o) is not AccumulateGrad and hasattr(o, "_seq")


def _recent_nodes(k):
    """Up to ``k`` distinct recorded-op nodes from the young generations (objects allocated
    since the last collections), taken at evenly spaced points of them."""
    # one new list: extending generation 1's list in place would append that list to itself
    # (it is in generation 0), a cycle holding every young object until a full collection
    young = gc.get_objects(1) + gc.get_objects(0)
    n = len(young)
    found = {}
    for i in range(min(k, n)):
        start = i * n // k
        for o in young[start:start + _PROBE]:
            if _is_op_node(o):
                found[id(o)] = o
                break
    return list(found.values())


def live_nodes() -> int:
    """The estimate of nodes alive in graphs: each group of samples counts its span times the
    share of its nodes still alive (groups with none alive are dropped)."""
    total = 0
    alive_groups = []
    for group in _samples:
        refs, span = group
        alive = sum(1 for r in refs if r() is not None)
        if alive:
            alive_groups.append(group)
            total += span * alive // len(refs)
    _samples[:] = alive_groups
    return total


def _sample() -> None:
    global _last_seq
    nodes = [o for o in _recent_nodes(SAMPLES) if o._seq > _last_seq]
    if not nodes:
        return
    seq = max(o._seq for o in nodes)
    span = seq - _last_seq if _last_seq >= 0 else seq + 1
    _last_seq = seq
    _samples.append((tuple(weakref.ref(o) for o in nodes), span))
    if len(_samples) > _MAX_SAMPLES:
        del _samples[: len(_samples) - _MAX_SAMPLES]


def _automatic() -> bool:
    # read first: this callback's own allocations count too. An automatic collection starts on
    # the allocation that takes generation 0 past its threshold; gc.collect() never sees that.
    return _scheduled or gc.get_count()[0] > gc.get_threshold()[0] and gc.isenabled()


def _on_collect(phase, info):
    global _young, _scan
    if phase != "start":
        return
    generation = info["generation"]
    if generation == 2:
        _young = 0
        if _scan:  # decided at a generation-1 collection: this one scans everything
            _scan = False
            _sample()
            return
        _decide(_automatic())
    elif generation == 1 and _frozen and _automatic():
        # while a big graph lives, the objects that survived generation 0 (mostly its new nodes)
        # join the frozen heap without a second scan. gc.freeze() also zeroes the count that
        # would start the next full collection, so the decision a full collection takes is
        # taken here instead, as often as the collector would have run one.
        _young += 1
        if _young > gc.get_threshold()[2]:
            _young = 0
            _scan = not _decide(True)
        else:
            gc.freeze()


def _decide(automatic) -> bool:
    """Freeze the heap (a big graph is alive; True) or unfreeze it so that it is scanned."""
    global _frozen, _heap, _allocs
    _sample()
    if automatic and live_nodes() >= LIVE_NODES and _allocs <= FULL_EVERY * _heap + 1:
        if not _frozen:
            if gc.get_freeze_count():  # the program freezes on its own: leave it in charge
                return False
            _frozen = True
        if not _heap:
            _heap = len(gc.get_objects())  # once per real full collection: as costly as one
        t0, t1, t2 = gc.get_threshold()
        _allocs += t0 * t1 * t2  # what the collector lets pass between its full collections
        gc.freeze()
        return True
    _heap = _allocs = 0  # this collection, or the next full one, scans everything
    if _frozen:
        _frozen = False
        gc.unfreeze()
    return False


def collect(generation: int = 2) -> int:
    """``gc.collect(generation)`` on behalf of a scheduler that runs the collector itself (with
    automatic collection disabled, as a GUI that collects on its own thread does): the policy
    treats it as an automatic collection, so a big live graph is not rescanned."""
    global _scheduled
    _scheduled = True
    try:
        return gc.collect(generation)
    finally:
        _scheduled = False


def frozen() -> bool:
    """Whether the policy holds the heap frozen now."""
    return _frozen


def install() -> None:
    """Turn the policy on (done when the engine is imported)."""
    if _on_collect not in gc.callbacks:
        gc.callbacks.append(_on_collect)


def uninstall() -> None:
    """Turn the policy off and unfreeze what it froze."""
    global _frozen, _scan, _young
    _scan, _young = False, 0
    if _on_collect in gc.callbacks:
        gc.callbacks.remove(_on_collect)
    if _frozen:
        _frozen = False
        gc.unfreeze()


install()
