"""One recorded engine node as plain data (``make_rec``), and the op-table key of an engine op
(``op_key``): shared by the recorder and by custom-Function capture."""

from __future__ import annotations

import os
import sys

import numpy as np

from engine.ops import OPS
from engine.tensor import Tensor

SKIP_DIRS = tuple(
    os.path.dirname(os.path.abspath(m.__file__)) + os.sep
    for m in (sys.modules["engine"], sys.modules[__package__])
)


class _Rec:
    __slots__ = ("attrs", "custom", "inputs", "key", "name", "outs", "where")


def make_rec(node, inputs, output, where, capture_custom, key_of=None) -> _Rec:
    """What we keep of one node: op key, attrs, input refs (value copies), output copies.
    ``capture_custom(fn_cls, inputs, outs)`` records a custom Function's application (passed
    in: custom capture records the nodes of its own replays with this function)."""
    outs = output if isinstance(output, tuple) else (output,)
    rec = _Rec()
    rec.name = node.name()
    rec.attrs = node._attrs
    rec.where = where if where is None or not where[0].startswith(SKIP_DIRS) else None
    rec.inputs = tuple(_raw_ref(x) for x in inputs)
    rec.outs = tuple(copy_value(o) for o in outs)
    rec.custom = None
    if getattr(type(node), "_forward_cls", None) is not None:
        rec.key = "custom"
        rec.custom = capture_custom(type(node)._forward_cls, inputs, rec.outs)
    else:
        rec.key = (key_of or op_key)(node.op) or f"<unknown {rec.name}>"
        if rec.key == "rsub":
            # the engine keeps no copy of c in `c - a`: recover it from the output
            rec.attrs = _recover_rsub(rec.outs[0], inputs[0])
    return rec


def op_key(op) -> str | None:
    for k, o in OPS.items():
        if o is op:
            return k
    return None


def _raw_ref(x):
    if isinstance(x, Tensor):
        if x.grad_fn is not None:
            return ("node", x.grad_fn, x._out_nr)
        return ("leaf", x, np.array(x._data, copy=True), x._rg)
    return ("scalar", x)


def copy_value(t):
    return np.array(t._data, copy=True) if isinstance(t, Tensor) else None


def _recover_rsub(out, a):
    o = np.asarray(out, np.float64).reshape(-1)
    x = np.asarray(a._data, np.float64).reshape(-1)
    c = float(o[0] + x[0]) if o.size else 0.0
    for digits in range(1, 17):  # the shortest decimal that reproduces the engine's output
        cand = float(f"{c:.{digits}g}")
        if np.array_equal(np.asarray(cand - a._data.astype(np.float64)).astype(out.dtype), out):
            return cand
    return c
