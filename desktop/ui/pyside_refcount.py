"""Work around a PySide6 6.12.0 refcount bug: bound methods return ``None`` (void methods such
as ``QGraphicsItem.update()``) and ``True`` (``SignalInstance.emit()``) without taking a
reference, so every such call from Python drops one reference to that singleton.

A fresh Python 3.11 process holds a few hundred references to ``True`` and a few thousand to
``None``; once a count reaches zero the interpreter aborts with "Fatal Python error:
bool_dealloc" / "none_dealloc" (mid-run, or at exit: pytest then ends with code 134). pyqtgraph
makes several such calls on every ``setData``.

``apply()`` probes for the leak and, only if it is there, gives ``None``, ``True`` and
``False`` a large reserve of references. They are never freed anyway (CPython 3.12 makes them
immortal), so the extra count is harmless. Call it once after importing PySide6; it is
idempotent and cheap.
"""

from __future__ import annotations

import ctypes
import sys

RESERVE = 1 << 40  # calls of headroom; Py_ssize_t is 64-bit wherever PySide6 6.12 runs
_applied = False


def _add_refs(obj, n: int) -> None:
    # ob_refcnt is the first field of every PyObject
    ctypes.c_ssize_t.from_address(id(obj)).value += n


def leaks() -> dict[str, int]:
    """How many references 8 emits / 8 void calls dropped (and gave back): {"True": 8, ...}."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    found = {}
    for name, obj, call in (("True", True, probe.ping.emit),
                            ("None", None, lambda: probe.setObjectName("probe"))):
        before = sys.getrefcount(obj)
        for _ in range(8):
            call()
        lost = before - sys.getrefcount(obj)
        if lost > 0:
            _add_refs(obj, lost)  # give back what the probe took
            found[name] = lost
    return found


def apply() -> bool:
    """Add the reserve if this PySide6 leaks; True when it did (once per process)."""
    global _applied
    if _applied:
        return True
    if not leaks():
        return False
    for obj in (None, True, False):
        _add_refs(obj, RESERVE)
    _applied = True
    return True
