"""Rules for ``engine.index_more`` (``roll``, ``masked_select``; ``cumprod``'s row carries its
own, ``engine.ops.scan``) and
``engine.scatter_index`` (``index_add/copy/fill``, ``scatter``, ``scatter_add``): fixed
rearrangements, running products or writes at recorded positions. Imported by
``symbolic.rules``."""

from __future__ import annotations

import numpy as np

from . import rule_table as rt
from .rule_table import nice_number


def _roll(ns, args, attrs, out_shape):
    x = np.asarray(args[0])
    shifts, dims = attrs
    if dims is None:
        return np.roll(x.reshape(-1), shifts).reshape(x.shape)
    return np.roll(x, shifts, dims)


def _masked_select(ns, args, attrs, out_shape):
    _, full, idx = attrs
    return np.broadcast_to(np.asarray(args[0]), full)[idx]


def _const(ns, value):
    return nice_number(float(value)) if ns.symbolic else float(value)


def _written(a0, idx, values, add=False):
    out = np.array(a0, copy=True)
    if out.dtype != object:
        out = out.astype(np.result_type(out, np.asarray(values)), copy=False)
    if add:
        np.add.at(out, idx, values)
    else:
        out[idx] = values
    return out


def _index_add(ns, args, attrs, out_shape):
    idx, alpha = attrs
    src = np.asarray(args[1])
    return _written(args[0], idx, src if alpha == 1 else src * _const(ns, alpha), add=True)


def _index_fill_t(ns, args, attrs, out_shape):
    value = np.asarray(args[1]).reshape(())[()]
    return _written(args[0], attrs, value)


def _scatter(add):
    def rule(ns, args, attrs, out_shape):
        grid, part, _ = attrs
        return _written(args[0], grid, np.asarray(args[1])[part], add)

    return rule


for _key, _rule in {
    "roll": _roll, "masked_select": _masked_select,
    "index_add": _index_add,
    "index_copy": lambda ns, args, attrs, out_shape: _written(args[0], attrs, np.asarray(args[1])),
    "index_fill": lambda ns, args, attrs, out_shape: _written(args[0], attrs[0],
                                                              _const(ns, attrs[1])),
    "index_fill_t": _index_fill_t,
    "scatter": _scatter(False), "scatter_add": _scatter(True),
    "scatter_value": lambda ns, args, attrs, out_shape: _written(args[0], attrs[0],
                                                                 _const(ns, attrs[1])),
}.items():
    rt.register(_key, _rule)
