"""Rules for the engine's view and in-place rows: ``as_strided`` (a view's region of its base),
``copy_slices`` (an in-place op through a view, replayed with the wrapped op's own rule),
``diagonal``, and ``zero``/``fill``/``fill_t``/``copy``. Imported by ``symbolic.rules``.
"""

from __future__ import annotations

import numpy as np

from . import rule_table as rt
from .node_rec import op_key


def _as_strided(m, a, at, s):
    _, flat, vshape = at
    x = np.asarray(a[0])
    return x.reshape(vshape) if flat is None else x.reshape(-1)[flat]


def _copy_slices(m, a, at, s):
    fn, flat, shape, vshape = at
    if flat is None:  # the view is the whole base in order
        new = rt.RULES[op_key(fn.op)](m, (np.asarray(a[0]).reshape(vshape), *a[1:]),
                                         fn._attrs, vshape)
        return np.asarray(new).reshape(shape)
    base = np.array(a[0]).reshape(-1)
    view = base[flat]
    new = rt.RULES[op_key(fn.op)](m, (view, *a[1:]), fn._attrs, vshape)
    base = base.astype(np.result_type(base, np.asarray(new)))
    base[flat] = new
    return base.reshape(shape)


def _stale(m, a, at, s):
    raise ValueError("an output of a multi-output view op whose base changed in place")


def _filled(m, a, value):
    return m.zeros(np.shape(a[0])) + value


for _key, _rule in {
    "as_strided": _as_strided,
    "copy_slices": _copy_slices,
    "stale_multi_view": _stale,
    "diagonal": lambda m, a, at, s: np.diagonal(a[0], at[1], at[2], at[3]).copy(),
    "zero": lambda m, a, at, s: m.zeros(np.shape(a[0])),
    "fill": lambda m, a, at, s: _filled(m, a, m.scalar(at)),
    "fill_t": lambda m, a, at, s: _filled(m, a, a[1]),
    "copy": lambda m, a, at, s: _filled(m, a, a[1]),
}.items():
    rt.register(_key, _rule)
