"""Rules for ``engine.more_ops``: ``log1p``, ``expm1``, ``clamp_max``, ``logsumexp``,
``gather``, ``index_select``, ``repeat`` and ``squeeze`` over several dims. Imported by ``symbolic.rules``."""

from __future__ import annotations

import numpy as np

from . import rule_table as rt


def _repeat(m, a, at, s):
    shape, sizes = at
    return np.tile(np.asarray(a[0]).reshape((1,) * (len(sizes) - len(shape)) + tuple(shape)), sizes)


for _key, _rule in {
    "log1p": lambda m, a, at, s: m.log(a[0] + m.scalar(1)),
    "expm1": lambda m, a, at, s: m.exp(a[0]) - m.scalar(1),
    "clamp_max": lambda m, a, at, s: m.clamp(a[0], None, at),
    "logsumexp": lambda m, a, at, s: m.log(m.sum(m.exp(a[0]), at[0], at[1])),
    "gather": lambda m, a, at, s: np.asarray(a[0])[at[1]],
    "index_select": lambda m, a, at, s: np.asarray(a[0])[at[1]],
    "repeat": _repeat,
    "squeeze_dims": lambda m, a, at, s: a[0].reshape(s),
    "squeeze_dims_": lambda m, a, at, s: a[0].reshape(s),
}.items():
    rt.register(_key, _rule)
