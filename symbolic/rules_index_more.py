"""Rules for ``engine.index_more`` (``roll``, ``cumprod``, ``masked_select``) and
``engine.scatter_index`` (``index_add/copy/fill``, ``scatter``, ``scatter_add``): fixed
rearrangements, running products or writes at recorded positions. Imported by
``symbolic.rules``."""

from __future__ import annotations

import numpy as np

from . import rule_table as rt
from .rule_table import nice_number


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


def _const(m, value):
    return nice_number(float(value)) if m.symbolic else float(value)


def _written(a0, idx, values, add=False):
    out = np.array(a0, copy=True)
    if out.dtype != object:
        out = out.astype(np.result_type(out, np.asarray(values)), copy=False)
    if add:
        np.add.at(out, idx, values)
    else:
        out[idx] = values
    return out


def _index_add(m, a, at, s):
    idx, alpha = at
    src = np.asarray(a[1])
    return _written(a[0], idx, src if alpha == 1 else src * _const(m, alpha), add=True)


def _index_fill_t(m, a, at, s):
    value = np.asarray(a[1]).reshape(())[()]
    return _written(a[0], at, value)


def _scatter(add):
    def rule(m, a, at, s):
        grid, part, _ = at
        return _written(a[0], grid, np.asarray(a[1])[part], add)

    return rule


for _key, _rule in {
    "roll": _roll, "cumprod": _cumprod, "masked_select": _masked_select,
    "index_add": _index_add,
    "index_copy": lambda m, a, at, s: _written(a[0], at, np.asarray(a[1])),
    "index_fill": lambda m, a, at, s: _written(a[0], at[0], _const(m, at[1])),
    "index_fill_t": _index_fill_t,
    "scatter": _scatter(False), "scatter_add": _scatter(True),
    "scatter_value": lambda m, a, at, s: _written(a[0], at[0], _const(m, at[1])),
}.items():
    rt.register(_key, _rule)
