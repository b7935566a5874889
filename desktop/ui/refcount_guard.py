"""Work around a PySide6 6.12 refcount bug that crashes the app on Python 3.11.

Measured here (PySide6-Essentials 6.12.0, shiboken6 6.12.0, CPython 3.11.7): every call of a
Qt method that returns ``void`` (``QPainter.setPen``, ``QWidget.update``, ``QLabel.setText``, …)
returns ``None`` without a new reference, and ``bool`` results do the same with ``True``/``False``.
Each call therefore lowers ``sys.getrefcount(None)`` by one; after a few thousand to a few hundred
thousand calls (one repaint of the editor gutter makes ~150) CPython aborts with
"Fatal Python error: none_dealloc: deallocating None" — mid-session or at exit (exit code 134).
On Python >= 3.12 these singletons are immortal and the bug is harmless, which is presumably why
it went unnoticed upstream.

The guard does what 3.12 does by design: it gives None, True and False a reference count so
large (2**40) that no session can use it up. It touches nothing else and costs no memory.
Imported for its effect by ``desktop.ui`` (so every widget module and test gets it) and called
again by ``desktop.app.main`` before the QApplication exists.
"""

from __future__ import annotations

import ctypes
import sys

_BOOST = 1 << 40
_done = False


def install() -> bool:
    """Make None/True/False effectively immortal on CPython < 3.12; True if it changed them."""
    global _done
    if _done or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    for obj in (None, True, False):
        # ob_refcnt is the first field of every CPython object (a Py_ssize_t).
        ctypes.c_ssize_t.from_address(id(obj)).value += _BOOST
    _done = True
    return True


def installed() -> bool:
    return _done
