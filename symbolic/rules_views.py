"""Rules for the nodes ``engine.views`` builds around in-place ops through views: ``copy_slices``
(an in-place op through a view, replayed with the wrapped op's own rule from this table) and
``stale_multi_view``. (The view and fill rows of ``engine.ops.views`` carry theirs.) Imported by
``symbolic.rules``.
"""

from __future__ import annotations

import numpy as np

from . import rule_table as rt
from .node_rec import op_key


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


for _key, _rule in {
    "copy_slices": _copy_slices,
    "stale_multi_view": _stale,
}.items():
    rt.register(_key, _rule)
