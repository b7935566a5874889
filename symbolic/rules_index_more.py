"""Rules for ``engine.index_more``: ``roll``, ``cumprod`` and ``masked_select`` are fixed
rearrangements (or running products) of their input's elements. Loaded by the last lines of
``rules.py``."""

from __future__ import annotations

import numpy as np

from . import rules


def _roll(m, a, at, s):
    x = np.asarray(a[0])
    shifts, dims = at
    if dims is None:
        return np.roll(x.reshape(-1), shifts).reshape(x.shape)
    return np.roll(x, shifts, dims)


def _cumprod(m, a, at, s):
    d = at[0]
    x = np.asarray(a[0])
    return x if d is None else np.cumprod(x, axis=d)


def _masked_select(m, a, at, s):
    _, full, idx = at
    return np.broadcast_to(np.asarray(a[0]), full)[idx]


for _key, _rule in {"roll": _roll, "cumprod": _cumprod, "masked_select": _masked_select}.items():
    rules.register(_key, _rule)
