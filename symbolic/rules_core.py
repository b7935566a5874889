"""Rules for the engine's core ops (shape ops, softmax; the elementwise, linear algebra,
reduction, ordering, scan and layer rows of ``engine.ops``, the fused losses included, carry
theirs). Imported by ``symbolic.rules``."""

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


def _index_scatter(ns, args, attrs, out_shape):
    shape, idx = attrs
    out = ns.zeros(shape)
    np.add.at(out, idx, args[0])
    return out


def _setitem(ns, args, attrs, out_shape):
    idx, _ = attrs
    out = args[0].copy()
    out[idx] = args[1]
    return out


def split_rule(ns, args, attrs, out_shape):
    d, sizes = attrs[0], attrs[1]
    return np.split(args[0], np.cumsum(sizes)[:-1], axis=d)


def _unbind(ns, args, attrs, out_shape):
    d = attrs[0]
    return [np.take(args[0], i, axis=d) for i in range(args[0].shape[d])]


def transpose_rule(ns, args, attrs, out_shape):
    return np.transpose(args[0], attrs)


# key -> rule(ns, args, attrs, out_shape); multi-output rules (split) return a list of arrays
CORE = {
    "tanh": lambda ns, args, attrs, out_shape: ns.tanh(args[0]),
    "split": split_rule,
    "split_sizes": split_rule,
    "unbind": _unbind,
    "view": lambda ns, args, attrs, out_shape: args[0].reshape(out_shape),
    "unsafe_view": lambda ns, args, attrs, out_shape: args[0].reshape(out_shape),
    "squeeze": lambda ns, args, attrs, out_shape: args[0].reshape(out_shape),
    "squeeze_dim": lambda ns, args, attrs, out_shape: args[0].reshape(out_shape),
    "unsqueeze": lambda ns, args, attrs, out_shape: args[0].reshape(out_shape),
    "t": lambda ns, args, attrs, out_shape: np.transpose(args[0], attrs),
    "transpose": transpose_rule,
    "permute": lambda ns, args, attrs, out_shape: np.transpose(args[0], attrs),
    "expand": lambda ns, args, attrs, out_shape: np.broadcast_to(args[0], out_shape),
    "clone": lambda ns, args, attrs, out_shape: args[0],
    "alias": lambda ns, args, attrs, out_shape: args[0],
    "to": lambda ns, args, attrs, out_shape: args[0],
    "select": lambda ns, args, attrs, out_shape: args[0][attrs[1]],
    "slice": lambda ns, args, attrs, out_shape: args[0][attrs[1]],
    "index": lambda ns, args, attrs, out_shape: args[0][attrs[1]],
    "index_scatter": _index_scatter,
    "setitem": _setitem,
    "cat": lambda ns, args, attrs, out_shape: np.concatenate(args, axis=attrs[0]),
    "stack": lambda ns, args, attrs, out_shape: np.stack(args, axis=attrs[0]),
    "softmax": _softmax_rule(_softmax),
    "log_softmax": _softmax_rule(_log_softmax),
}



for _key, _rule in CORE.items():
    rt.register(_key, _rule)
