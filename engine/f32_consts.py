"""Python numbers as cached 0-d float32 arrays, for float32 arithmetic on the hot paths.

A Python number meeting a float32 array is converted to float32 by numpy's ufuncs (NEP 50) at
a cost of ~250 ns a call; the same number as a 0-d float32 array gives the same result (bit for
bit, for the correctly rounded + - * /) without it. Kept per value: a loop's constants recur.
Zeros (the cache would mix 0.0 and -0.0), nan and values near float32's range limits are passed
as they are, so numpy converts (and warns) as before. Read ``CONSTS.get(b)`` first (one dict
read), then ``const(b)`` on a miss."""

from __future__ import annotations

import builtins

import numpy as np

F32 = np.dtype(np.float32)
CONSTS: dict = {}


def const(b):
    """``b`` as a read-only 0-d float32 array (cached), or ``b`` itself where numpy must see it."""
    if not 1e-30 < builtins.abs(b) < 1e30:
        return b
    c = np.array(b, F32)
    c.flags.writeable = False
    if len(CONSTS) >= 1024:
        CONSTS.clear()
    CONSTS[b] = c
    return c
