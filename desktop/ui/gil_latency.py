"""How long the GUI thread may wait for the interpreter lock while a script, a layout or an
import runs Python on another thread.

CPython hands the lock over only when a waiting thread has waited a whole switch interval
(5 ms by default). Every time the GUI thread wakes up while a script runs (a timer, an event,
the script's output), it waits up to that long before it can run a line of Python; a Run's
paint, its output flushes and ``Thread.start()`` then add up to stalls of 30-50 ms on a
1,000-node graph. At 1 ms those waits shrink fivefold. The lock changes hands only when another
thread asks for it, so a script running alone is not slowed.
"""

from __future__ import annotations

import sys

GUI_SWITCH_INTERVAL = 0.001  # seconds


def keep_gui_responsive() -> None:
    """Lower the interpreter's switch interval to ``GUI_SWITCH_INTERVAL`` (never raise it)."""
    if sys.getswitchinterval() > GUI_SWITCH_INTERVAL:
        sys.setswitchinterval(GUI_SWITCH_INTERVAL)
