"""Rules for the engine's core ops (softmax; the elementwise, shape, linear algebra, reduction,
ordering, scan and layer rows of ``engine.ops``, the fused losses included, carry theirs).
Imported by ``symbolic.rules``."""

from __future__ import annotations

import numpy as np

from . import rule_table as rt


def _softmax(ns, x, d):
    if not ns.symbolic:
        e = np.exp(x - np.max(x, axis=d, keepdims=True))
        return e / np.sum(e, axis=d, keepdims=True)
    e = ns.exp(x)
    return e / ns.sum(e, (d,), True)


def _log_softmax(ns, x, d):
    if not ns.symbolic:
        z = x - np.max(x, axis=d, keepdims=True)
        return z - np.log(np.sum(np.exp(z), axis=d, keepdims=True))
    return x - ns.log(ns.sum(ns.exp(x), (d,), True))


def _softmax_rule(fn):
    def rule(ns, args, attrs, out_shape):
        x = args[0]
        if attrs is None:  # 0-d input: softmax over a single element
            return fn(ns, x.reshape(1), 0).reshape(())
        return fn(ns, x, attrs)

    return rule


# key -> rule(ns, args, attrs, out_shape); multi-output rules (split) return a list of arrays
CORE = {
    "tanh": lambda ns, args, attrs, out_shape: ns.tanh(args[0]),
    "softmax": _softmax_rule(_softmax),
    "log_softmax": _softmax_rule(_log_softmax),
}



for _key, _rule in CORE.items():
    rt.register(_key, _rule)
