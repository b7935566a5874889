"""Rules for the engine's view and in-place rows: ``as_strided`` (a view's region of its base),
``copy_slices`` (an in-place op through a view, replayed with the wrapped op's own rule),
``diagonal``, and ``zero``/``fill``/``fill_t``/``copy``. Imported by ``symbolic.rules``.
"""

from __future__ import annotations

import numpy as np

from . import rule_table as rt
from .node_rec import op_key


def _as_strided(ns, args, attrs, out_shape):
    _, flat, vshape = attrs
    x = np.asarray(args[0])
    return x.reshape(vshape) if flat is None else x.reshape(-1)[flat]


def _copy_slices(ns, args, attrs, out_shape):
    fn, flat, shape, vshape = attrs
    if flat is None:  # the view is the whole base in order
        new = rt.RULES[op_key(fn.op)](ns, (np.asarray(args[0]).reshape(vshape), *args[1:]),
                                         fn._attrs, vshape)
        return np.asarray(new).reshape(shape)
    base = np.array(args[0]).reshape(-1)
    view = base[flat]
    new = rt.RULES[op_key(fn.op)](ns, (view, *args[1:]), fn._attrs, vshape)
    base = base.astype(np.result_type(base, np.asarray(new)))
    base[flat] = new
    return base.reshape(shape)


def _stale(ns, args, attrs, out_shape):
    raise ValueError("an output of a multi-output view op whose base changed in place")


def _filled(ns, a, value):
    return ns.zeros(np.shape(a[0])) + value


for _key, _rule in {
    "as_strided": _as_strided,
    "copy_slices": _copy_slices,
    "stale_multi_view": _stale,
    "diagonal": lambda ns, args, attrs, out_shape: np.diagonal(args[0], *attrs[1:4]).copy(),
    "zero": lambda ns, args, attrs, out_shape: ns.zeros(np.shape(args[0])),
    "fill": lambda ns, args, attrs, out_shape: _filled(ns, args, ns.scalar(attrs)),
    "fill_t": lambda ns, args, attrs, out_shape: _filled(ns, args, args[1]),
    "copy": lambda ns, args, attrs, out_shape: _filled(ns, args, args[1]),
}.items():
    rt.register(_key, _rule)
